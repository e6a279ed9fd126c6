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
 *   .tailbus-log.positions               the highest position reserved for events no pattern
 *                                        stores (decimal text), so that a restart never gives
 *                                        their positions again
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

    /** The prefix (relative to {@code root}, '/'-separated) of the segment at {@code file}. */
    static String prefixOf(Path root, Path file) {
        String relative = root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
        String name = file.getFileName().toString();
        int cut = SEGMENT_SUFFIX.length() + (rotatedPosition(name) >= 0 ? DIGITS + 1 : 0);
        return relative.substring(0, relative.length() - cut);
    }
}
