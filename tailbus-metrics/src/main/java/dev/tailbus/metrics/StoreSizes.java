package dev.tailbus.metrics;

import dev.tailbus.core.log.StoreInspector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes and segment files of a store, summed by store pattern, read from the files
 * themselves (as {@code tailbus store} does, without the log's lock) when scraped.
 *
 * <p>Thread-safe.
 */
final class StoreSizes {
    /** One pattern's files: segments (live and rotated) and their bytes (indexes not counted). */
    record Size(long segments, long bytes) {
    }

    private final Path root;
    private final PrefixLabels labels;

    StoreSizes(Path root, PrefixLabels labels) {
        this.root = root;
        this.labels = labels;
    }

    /** By pattern label, every pattern present (zero when it has no file yet). */
    Map<String, Size> take() {
        Map<String, long[]> sums = new LinkedHashMap<>();
        for (String label : labels.labels()) {
            sums.put(label, new long[2]);
        }
        try {
            for (Map.Entry<String, List<Path>> prefix : StoreInspector.segments(root).entrySet()) {
                long[] sum = sums.get(labels.ofFilePrefix(prefix.getKey()));
                for (Path segment : prefix.getValue()) {
                    try {
                        sum[1] += Files.size(segment);
                        sum[0]++;
                    } catch (NoSuchFileException e) {
                        // deleted by retention meanwhile
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // a folder removed while walking: the next scrape sees the store as it is then
        }
        Map<String, Size> out = new LinkedHashMap<>();
        sums.forEach((label, sum) -> out.put(label, new Size(sum[0], sum[1])));
        return out;
    }
}
