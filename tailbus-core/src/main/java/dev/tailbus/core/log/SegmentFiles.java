package dev.tailbus.core.log;

import java.nio.file.Path;

/**
 * Every file name of the store, made and parsed here and nowhere else.
 *
 * <pre>
 *   PREFIX.pb                            the live segment of PREFIX (the reference's one file)
 *   PREFIX.00000000000000001234.pb       a rotated segment; 1234 = position of its first event,
 *                                        20 digits so that ls sorts segments in order (the live
 *                                        PREFIX.pb sorts after them: it is the newest)
 *   SEGMENT.idx                          the index of SEGMENT (e.g. PREFIX.pb.idx)
 *   .tailbus-log.lock                    held (flock) by the process that writes the store
 *   .tailbus-log.positions               the highest position that may have been handed out
 *                                        (decimal text and a newline), replaced durably before
 *                                        any position above it is given, so that a restart never
 *                                        gives a position again, whatever a power cut lost
 * </pre>
 *
 * <p>On rotation the live {@code PREFIX.pb} is renamed to its numbered name and a new
 * {@code PREFIX.pb} is started, so that a tool which reads the reference's {@code PREFIX.pb} finds
 * the newest events where it always did. A reference store's {@code PREFIX.pb} is thus the oldest
 * (and only) segment when first opened.
 */
final class SegmentFiles {
    static final String SEGMENT_SUFFIX = ".pb";
    static final String INDEX_SUFFIX = ".idx";
    static final String LOCK_NAME = ".tailbus-log.lock";
    static final String RESERVED_NAME = ".tailbus-log.positions";
    static final int DIGITS = 20;

    private SegmentFiles() {
    }

    /** The live segment of {@code prefix} (a path relative to, or under, the root). */
    static Path live(Path root, String prefix) {
        return root.resolve(prefix + SEGMENT_SUFFIX);
    }

    /** The name of a rotated segment whose first event has position {@code firstPosition}. */
    static Path rotated(Path root, String prefix, long firstPosition) {
        return root.resolve(prefix + "." + String.format("%0" + DIGITS + "d", firstPosition) + SEGMENT_SUFFIX);
    }

    /** The index beside {@code segment}. */
    static Path index(Path segment) {
        return segment.resolveSibling(segment.getFileName() + INDEX_SUFFIX);
    }

    /** A temporary file beside {@code file}, for write-force-rename. */
    static Path temporary(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /** Whether {@code fileName} names a segment (live or rotated). */
    static boolean isSegment(String fileName) {
        return fileName.endsWith(SEGMENT_SUFFIX) && fileName.length() > SEGMENT_SUFFIX.length();
    }

    /** Whether {@code fileName} names an index (of a live or rotated segment). */
    static boolean isIndex(String fileName) {
        return fileName.endsWith(SEGMENT_SUFFIX + INDEX_SUFFIX);
    }

    /**
     * The rotated segment's first position encoded in {@code fileName}, or -1 when it is a live
     * segment's name.
     */
    static long rotatedPosition(String fileName) {
        int end = fileName.length() - SEGMENT_SUFFIX.length();
        int start = end - DIGITS;
        if (start < 2 || fileName.charAt(start - 1) != '.') {
            return -1;
        }
        long value = 0;
        for (int i = start; i < end; i++) {
            char c = fileName.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** What a walk of the store root found: each prefix's segments, oldest first; and the indexes. */
    record Found(java.util.Map<String, java.util.List<Path>> segments, java.util.List<Path> indexes) {
    }

    /**
     * Finds every segment under {@code root} (prefixes in path order, each prefix's segments
     * oldest first: rotated ones by first position, the live one last) and every index file.
     */
    static Found discover(Path root) throws java.io.IOException {
        java.util.Map<String, java.util.List<Path>> byPrefix = new java.util.TreeMap<>();
        java.util.List<Path> indexes = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(root)) {
            walk.filter(java.nio.file.Files::isRegularFile).forEach(p -> {
                String name = p.getFileName().toString();
                if (isSegment(name)) {
                    byPrefix.computeIfAbsent(prefixOf(root, p), k -> new java.util.ArrayList<>()).add(p);
                } else if (isIndex(name)) {
                    indexes.add(p);
                }
            });
        }
        for (java.util.List<Path> files : byPrefix.values()) {
            files.sort(java.util.Comparator.comparingLong(SegmentFiles::order));
        }
        return new Found(byPrefix, indexes);
    }

    /** Where a segment file sorts among its prefix's: by first position, the live one last. */
    static long order(Path segment) {
        long n = rotatedPosition(segment.getFileName().toString());
        return n < 0 ? Long.MAX_VALUE : n;
    }

    /** The segment an index file belongs to. */
    static Path segmentOf(Path index) {
        String name = index.getFileName().toString();
        return index.resolveSibling(name.substring(0, name.length() - INDEX_SUFFIX.length()));
    }

    /** The prefix (relative to {@code root}, '/'-separated) of the segment at {@code file}. */
    static String prefixOf(Path root, Path file) {
        String relative = root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
        String name = file.getFileName().toString();
        int cut = SEGMENT_SUFFIX.length() + (rotatedPosition(name) >= 0 ? DIGITS + 1 : 0);
        return relative.substring(0, relative.length() - cut);
    }
}
