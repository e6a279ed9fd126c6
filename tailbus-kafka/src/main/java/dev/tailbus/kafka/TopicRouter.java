package dev.tailbus.kafka;

import dev.tailbus.core.log.StorePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Which Kafka topics hold a protobus topic, from the store patterns: every pattern that matches
 * it names one (an event matching two patterns goes to both, as in the files), and the first
 * such pattern names its <em>home</em>, the one copy that subscriptions, history and statistics
 * read, so that an event stored twice is delivered once. Every gateway of a cluster must have
 * the same patterns in the same order.
 *
 * <p>Thread-safe; answers are cached per topic up to a bound.
 */
final class TopicRouter {
    private static final int CACHE_LIMIT = 8192;

    private final KafkaTopicNames names;
    private final List<StorePattern> patterns;
    private final Map<String, List<String>> cache = new ConcurrentHashMap<>();

    TopicRouter(KafkaTopicNames names, List<StorePattern> patterns) {
        this.names = names;
        this.patterns = List.copyOf(patterns);
    }

    KafkaTopicNames names() {
        return names;
    }

    /** The Kafka topics of {@code topic}, home first, without repeats; empty when no pattern stores it. */
    List<String> kafkaTopicsFor(String topic) {
        List<String> known = cache.get(topic);
        if (known != null) {
            return known;
        }
        List<String> out = new ArrayList<>(2);
        for (StorePattern p : patterns) {
            if (p.matches(topic)) {
                String name = names.of(p.prefixFor(topic));
                if (!out.contains(name)) {
                    out.add(name);
                }
            }
        }
        List<String> answer = List.copyOf(out);
        if (cache.size() < CACHE_LIMIT) {
            cache.put(topic, answer);
        }
        return answer;
    }

    /** Whether {@code kafkaTopic} is the home of {@code topic}. */
    boolean isHome(String kafkaTopic, String topic) {
        List<String> all = kafkaTopicsFor(topic);
        return !all.isEmpty() && all.get(0).equals(kafkaTopic);
    }

    /**
     * Whether {@code kafkaTopic} may be the home of a topic that {@code filter} matches: a name of
     * a pattern with {@code {topic}} decodes to its one topic, which is checked; a name of a
     * pattern without it holds any topic of the pattern. False for names of no pattern.
     */
    boolean mayHold(String kafkaTopic, Predicate<String> filter) {
        String filePrefix = names.filePrefixOf(kafkaTopic);
        if (filePrefix == null) {
            return false;
        }
        for (StorePattern p : patterns) {
            String template = p.filePrefix();
            int at = template.indexOf(StorePattern.TOPIC);
            if (at < 0) {
                if (template.equals(filePrefix)) {
                    return true;
                }
                continue;
            }
            String before = template.substring(0, at);
            String after = template.substring(at + StorePattern.TOPIC.length());
            int tail = after.indexOf(StorePattern.TOPIC);
            String suffix = tail < 0 ? after : after.substring(0, tail);
            if (!filePrefix.startsWith(before) || filePrefix.length() < before.length() + suffix.length()) {
                continue;
            }
            // the topic ends where the literal after {topic} starts: try each place it occurs
            for (int end = filePrefix.indexOf(suffix, before.length()); end >= 0;
                 end = filePrefix.indexOf(suffix, end + 1)) {
                String topic = filePrefix.substring(before.length(), end);
                if (!topic.isEmpty() && p.matches(topic) && p.prefixFor(topic).equals(filePrefix)
                        && isHome(kafkaTopic, topic) && filter.test(topic)) {
                    return true;
                }
                if (suffix.isEmpty()) {
                    break;
                }
            }
            if (suffix.isEmpty()) {
                String topic = filePrefix.substring(before.length());
                if (!topic.isEmpty() && p.matches(topic) && p.prefixFor(topic).equals(filePrefix)
                        && isHome(kafkaTopic, topic) && filter.test(topic)) {
                    return true;
                }
            }
        }
        return false;
    }
}
