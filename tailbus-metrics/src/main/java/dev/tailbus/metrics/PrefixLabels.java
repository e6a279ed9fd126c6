package dev.tailbus.metrics;

import dev.tailbus.core.log.StorePattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Turns a topic, or a store file's prefix, into the label of the store pattern it belongs to:
 * the pattern's {@code FILE_PREFIX} as configured ({@code sensors}, {@code {topic}}), or
 * {@value #NONE} for an event no pattern stores. There are as many labels as patterns, plus
 * one, whatever the number of topics: a metric labelled so has a bounded number of series.
 *
 * <p>An event counts under the first pattern that stores it, as a topic is routed first by the
 * pattern listed first.
 *
 * <p>Thread-safe. The topics seen are remembered (up to {@link #CACHED} of them) so that a
 * topic's regexes run once.
 */
final class PrefixLabels {
    /** The label of events that no pattern stores, and of files that no pattern names. */
    static final String NONE = "none";
    private static final int CACHED = 10_000;

    private final List<StorePattern> patterns;
    private final List<String> labels;
    private final List<Pattern> fileShapes = new ArrayList<>();
    private final Map<String, Integer> byTopic = new ConcurrentHashMap<>();

    PrefixLabels(List<StorePattern> patterns) {
        this.patterns = List.copyOf(patterns);
        List<String> all = new ArrayList<>();
        for (StorePattern p : this.patterns) {
            String label = p.filePrefix();
            if (!all.contains(label)) {
                all.add(label);
            }
            fileShapes.add(shapeOf(label));
        }
        all.add(NONE);
        this.labels = List.copyOf(all);
    }

    /** A regex for the files a prefix makes: {@code {topic}} stands for any non-empty text. */
    private static Pattern shapeOf(String filePrefix) {
        StringBuilder regex = new StringBuilder();
        int from = 0;
        for (int at; (at = filePrefix.indexOf(StorePattern.TOPIC, from)) >= 0; from = at + StorePattern.TOPIC.length()) {
            regex.append(Pattern.quote(filePrefix.substring(from, at))).append(".+");
        }
        return Pattern.compile(regex.append(Pattern.quote(filePrefix.substring(from))).toString());
    }

    /** Every label, in a fixed order; {@link #index} points into it. */
    List<String> labels() {
        return labels;
    }

    /** The index in {@link #labels()} of the pattern storing {@code topic}. */
    int index(String topic) {
        if (topic == null) {
            return labels.size() - 1;
        }
        Integer known = byTopic.get(topic);
        if (known != null) {
            return known;
        }
        int found = labels.size() - 1;
        for (StorePattern p : patterns) {
            if (p.matches(topic)) {
                found = labels.indexOf(p.filePrefix());
                break;
            }
        }
        if (byTopic.size() < CACHED) {
            byTopic.put(topic, found);
        }
        return found;
    }

    /** The label of the pattern whose files a store prefix (a path under the root) is, or {@value #NONE}. */
    String ofFilePrefix(String filePrefix) {
        for (int i = 0; i < patterns.size(); i++) {
            if (fileShapes.get(i).matcher(filePrefix).matches()) {
                return patterns.get(i).filePrefix();
            }
        }
        return NONE;
    }
}
