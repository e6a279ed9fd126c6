package dev.tailbus.protobus.server;

import dev.tailbus.core.log.LogException;
import dev.tailbus.core.log.TopicPatterns;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A subscription's topic filter with the reference's matching: the regular expressions (Python
 * syntax) joined with {@code |} and matched at the start of the topic ({@code re.match}). No
 * expression at all matches every topic, as the reference's empty pattern does.
 *
 * <p>Answers are cached per topic (topics are few and events many), up to a bound. Thread-safe.
 */
final class TopicFilter implements Predicate<String> {
    private static final int CACHE_LIMIT = 4096;
    /** Matches no topic: the narrowing of a token without a subscribe right. */
    private static final Pattern NOTHING = Pattern.compile("(?!)");

    private final Pattern pattern;
    /** The topics an access token may read (null: all), on top of the subscription's own pattern. */
    private final Pattern allowed;
    private final Map<String, Boolean> cache = new ConcurrentHashMap<>();

    private TopicFilter(Pattern pattern, Pattern allowed) {
        this.pattern = pattern;
        this.allowed = allowed;
    }

    /**
     * Compiles a subscription's expressions.
     *
     * @throws LogException bad input, naming the invalid expression
     */
    static TopicFilter of(List<String> regexes) {
        for (String regex : regexes) {
            TopicPatterns.compile(regex); // names the culprit when one is invalid on its own
        }
        return new TopicFilter(TopicPatterns.compile(String.join("|", regexes)), null);
    }

    /**
     * This filter narrowed to the topics {@code allowed} matches too (at their start); null
     * allows none.
     */
    TopicFilter within(Pattern allowed) {
        return new TopicFilter(pattern, allowed == null ? NOTHING : allowed);
    }

    @Override
    public boolean test(String topic) {
        Boolean known = cache.get(topic);
        if (known != null) {
            return known;
        }
        boolean matches = TopicPatterns.matches(pattern, topic)
                && (allowed == null || TopicPatterns.matches(allowed, topic));
        if (cache.size() < CACHE_LIMIT) {
            cache.put(topic, matches);
        }
        return matches;
    }

    @Override
    public String toString() {
        return allowed == null ? pattern.pattern() : pattern.pattern() + " within " + allowed.pattern();
    }
}
