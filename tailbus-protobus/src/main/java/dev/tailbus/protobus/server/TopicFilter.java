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

    private final Pattern pattern;
    private final Map<String, Boolean> cache = new ConcurrentHashMap<>();

    private TopicFilter(Pattern pattern) {
        this.pattern = pattern;
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
        return new TopicFilter(TopicPatterns.compile(String.join("|", regexes)));
    }

    @Override
    public boolean test(String topic) {
        Boolean known = cache.get(topic);
        if (known != null) {
            return known;
        }
        boolean matches = TopicPatterns.matches(pattern, topic);
        if (cache.size() < CACHE_LIMIT) {
            cache.put(topic, matches);
        }
        return matches;
    }

    @Override
    public String toString() {
        return pattern.pattern();
    }
}
