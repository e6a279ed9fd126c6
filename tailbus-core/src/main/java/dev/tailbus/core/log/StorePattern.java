package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import java.util.regex.Pattern;

/**
 * One {@code FILE_PREFIX:TOPIC_REGEX} store rule: events whose topic the regex matches (at the
 * start, as Python's {@code re.match}) are stored in files named after the prefix, in which
 * {@code {topic}} stands for the event's topic. The prefix is relative to the store root.
 *
 * <p>The specification is split at the <em>first</em> {@code ':'}, as the reference does, so a
 * prefix cannot contain a colon while the regex can.
 *
 * @param filePrefix the file prefix, possibly containing {@value #TOPIC}
 * @param topicRegex the compiled regex (see {@link TopicPatterns})
 */
public record StorePattern(String filePrefix, Pattern topicRegex) {
    /** The placeholder in a prefix for the event's topic. */
    public static final String TOPIC = "{topic}";
    /** The reference's default: one file per topic. */
    public static final String DEFAULT = "{topic}:.*";

    public StorePattern {
        if (filePrefix == null || filePrefix.isEmpty()) {
            throw new LogException(Kind.BAD_INPUT, "store pattern needs a file prefix before ':'");
        }
        if (topicRegex == null) {
            throw new LogException(Kind.BAD_INPUT, "store pattern needs a topic regex");
        }
    }

    /**
     * Parses {@code FILE_PREFIX:TOPIC_REGEX}, splitting at the first {@code ':'}.
     *
     * @throws LogException {@link Kind#BAD_INPUT} on a missing colon, empty prefix or bad regex
     */
    public static StorePattern parse(String spec) {
        if (spec == null) {
            throw new LogException(Kind.BAD_INPUT, "missing store pattern");
        }
        int colon = spec.indexOf(':');
        if (colon < 0) {
            throw new LogException(Kind.BAD_INPUT, "store pattern " + LogException.quote(spec)
                    + " is not FILE_PREFIX:TOPIC_REGEX");
        }
        if (colon == 0) {
            throw new LogException(Kind.BAD_INPUT, "store pattern " + LogException.quote(spec)
                    + " has an empty file prefix");
        }
        return new StorePattern(spec.substring(0, colon), TopicPatterns.compile(spec.substring(colon + 1)));
    }

    /** Whether this pattern stores {@code topic} ({@code re.match} semantics: anchored at the start). */
    public boolean matches(String topic) {
        return topicRegex.matcher(topic).lookingAt();
    }

    /** The file prefix for {@code topic}: {@link #filePrefix()} with {@value #TOPIC} replaced. */
    public String prefixFor(String topic) {
        return filePrefix.replace(TOPIC, topic);
    }

    @Override
    public String toString() {
        return filePrefix + ":" + topicRegex.pattern();
    }
}
