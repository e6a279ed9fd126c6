package dev.tailbus.core.log;

import java.util.Arrays;

/**
 * What a write group changed in the segments' {@link TopicTable}s since they were last made
 * visible, one note per index entry, so that a group that cannot be written (a full disk) is taken
 * back in memory exactly, and the log goes on from what readers saw.
 *
 * <p>Each note keeps what {@link TopicTable#record} overwrites: the topic's previous newest entry,
 * last position and last time, and the record's length. {@link #rewind()} undoes the notes newest
 * first, for every segment whose entry never became visible ({@link Segment#count()}); a segment
 * published meanwhile (rotated in the middle of the group) keeps its entries, which are on disk.
 * One instance serves every partition of a log, so memory follows the size of a group, not the
 * number of partitions; it keeps at most {@value #KEPT} notes' room between groups.
 *
 * <p>Threading: used only under the log's append lock.
 */
final class UnpublishedEntries {
    static final int KEPT = 1 << 16;

    private Segment[] segments = new Segment[16];
    private int[] ids = new int[16];
    private int[] entries = new int[16];
    private int[] heads = new int[16];
    private int[] lengths = new int[16];
    private long[] lastPositions = new long[16];
    private long[] lastTimes = new long[16];
    private int size;

    /** Notes that entry {@code entry} of {@code segment}, topic {@code id}, is about to be recorded. */
    void note(Segment segment, int id, int entry, int length) {
        if (size == ids.length) {
            int n = size * 2;
            segments = Arrays.copyOf(segments, n);
            ids = Arrays.copyOf(ids, n);
            entries = Arrays.copyOf(entries, n);
            heads = Arrays.copyOf(heads, n);
            lengths = Arrays.copyOf(lengths, n);
            lastPositions = Arrays.copyOf(lastPositions, n);
            lastTimes = Arrays.copyOf(lastTimes, n);
        }
        TopicTable t = segment.topics;
        segments[size] = segment;
        ids[size] = id;
        entries[size] = entry;
        heads[size] = t.head[id];
        lengths[size] = length;
        lastPositions[size] = t.lastPosition[id];
        lastTimes[size] = t.lastTime[id];
        size++;
    }

    /** Undoes every note of an entry that is not visible, newest first; then forgets them all. */
    void rewind() {
        for (int i = size - 1; i >= 0; i--) {
            Segment s = segments[i];
            if (entries[i] < s.count()) {
                continue;
            }
            TopicTable t = s.topics;
            int id = ids[i];
            t.head[id] = heads[i];
            t.count[id]--;
            t.bytes[id] -= lengths[i];
            t.lastPosition[id] = lastPositions[i];
            t.lastTime[id] = lastTimes[i];
        }
        for (int i = 0; i < size; i++) {
            segments[i].topics.dropUnused();
        }
        clear();
    }

    /** Forgets the notes: the group is visible (or was loaded at open). */
    void clear() {
        if (ids.length > KEPT) {
            segments = new Segment[16];
            ids = new int[16];
            entries = new int[16];
            heads = new int[16];
            lengths = new int[16];
            lastPositions = new long[16];
            lastTimes = new long[16];
        } else {
            Arrays.fill(segments, 0, size, null);
        }
        size = 0;
    }
}
