package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the last N events of each topic of a partition begin, among events up to a position:
 * the answer to "history depth N" before any event is read. A segment wholly inside a topic's
 * window counts by its topic table; only the segment where the window begins is walked, hop by
 * hop, along the topic's chain of index entries ({@link IndexEntry} "previous"), reading index
 * entries only, never records. Memory: one entry per topic, whatever N.
 *
 * <p>Design note: no query may delay an append, so no user code (the topic filter) and no disk
 * read runs under the log's lock. {@link #matching} applies the filter to the segments' topic
 * names without the lock (names only grow, and are published whole); {@link #takeHeads} then
 * copies the few numbers of each matching topic under the lock (memory only); {@link #starts}
 * reads the indexes afterwards, without it.
 *
 * <p>Not thread-safe: one per query.
 */
final class HistoryStarts {
    /** A topic's newest entry and counts in one segment, as of the snapshot. */
    record Head(Segment segment, int id, int entry, long count, long firstPosition, long lastPosition,
                boolean stale) {
    }

    /** Matching (segment, topic id) pairs, newest segment first, until the heads are taken. */
    private List<Segment> pendingSegments = new ArrayList<>();
    private List<Integer> pendingIds = new ArrayList<>();
    private final Map<String, List<Head>> heads = new HashMap<>();
    /** Index entries read backwards; lent by the query for one {@link #starts} call. */
    private ByteBuffer chunk;
    private Segment chunkOf;
    private long chunkFrom = -1;
    private int chunkHeld;
    /** Where the earliest window begins, when the walk found it (else null): the cursor starts there. */
    private Segment firstSegment;
    private long firstEntry = -1;
    private long firstPosition = Long.MAX_VALUE;

    /**
     * The topics of {@code p}'s segments (newest first, holding positions up to {@code limit})
     * that {@code topics} matches; no lock needed, none taken.
     */
    static HistoryStarts matching(Partition p, java.util.function.Predicate<String> topics, long limit) {
        HistoryStarts h = new HistoryStarts();
        Segment[] segments = p.segments();
        for (int s = segments.length - 1; s >= 0; s--) {
            Segment segment = segments[s];
            if (segment.firstPosition() > limit || segment.count() == 0) {
                continue;
            }
            String[] names = segment.topics.names();
            for (int id = 0; id < names.length; id++) {
                if (topics.test(names[id])) {
                    h.pendingSegments.add(segment);
                    h.pendingIds.add(id);
                }
            }
        }
        return h;
    }

    /** Copies each matching topic's head and counts; under the log's lock (memory only). */
    void takeHeads() {
        for (int i = 0; i < pendingIds.size(); i++) {
            Segment segment = pendingSegments.get(i);
            int id = pendingIds.get(i);
            TopicTable t = segment.topics;
            if (t.count[id] == 0) {
                continue;
            }
            // after a failed write the head may be an entry that never became visible
            boolean stale = t.head[id] >= segment.count();
            heads.computeIfAbsent(t.names()[id], k -> new ArrayList<>(1)).add(new Head(segment, id,
                    t.head[id], t.count[id], t.firstPosition[id], t.lastPosition[id], stale));
        }
        pendingSegments = null;
        pendingIds = null;
    }

    /** Whether no topic matched (before {@link #takeHeads}) or none has events (after). */
    boolean isEmpty() {
        return pendingIds != null ? pendingIds.isEmpty() : heads.isEmpty();
    }

    /** A buffer for {@link #starts}, to be shared by the partitions of one query. */
    static ByteBuffer buffer() {
        return Segment.littleEndian(IndexEntry.SIZE * 64);
    }

    /**
     * The position of each topic's {@code n}-th newest event at or below {@code limit} (its first
     * event when it has fewer); topics with none are left out. {@code buffer} from {@link #buffer()}.
     */
    Map<String, Long> starts(int n, long limit, ByteBuffer buffer) throws IOException {
        chunk = buffer;
        chunkOf = null;
        Map<String, Long> starts = new HashMap<>();
        for (Map.Entry<String, List<Head>> e : heads.entrySet()) {
            long remaining = n;
            long start = Long.MAX_VALUE;
            for (Head head : e.getValue()) {
                if (remaining == 0) {
                    break;
                }
                if (!head.stale() && head.lastPosition() <= limit && head.count() <= remaining) {
                    remaining -= head.count(); // the whole segment's share of the topic is in the window
                    start = head.firstPosition();
                    continue;
                }
                boolean search = head.stale();
                int entry = search ? (int) head.segment().count() - 1 : head.entry();
                while (search && entry >= 0) {
                    if (chunk.getInt(entryAt(head.segment(), entry) + IndexEntry.TOPIC) == head.id()) {
                        search = false;
                    } else {
                        entry--;
                    }
                }
                while (entry >= 0 && remaining > 0) {
                    int at = entryAt(head.segment(), entry);
                    long position = chunk.getLong(at + IndexEntry.POSITION);
                    if (chunk.getInt(at + IndexEntry.TOPIC) != head.id()) {
                        throw new IOException("index " + head.segment().indexPath() + " entry " + entry
                                + " is not of the topic its chain says");
                    }
                    if (position <= limit) {
                        remaining--;
                        start = position;
                        if (remaining == 0 && position < firstPosition) {
                            firstPosition = position;
                            firstSegment = head.segment();
                            firstEntry = entry;
                        }
                    }
                    entry = chunk.getInt(at + IndexEntry.PREVIOUS);
                }
            }
            if (start != Long.MAX_VALUE) {
                starts.put(e.getKey(), start);
                if (start < firstPosition) {
                    firstPosition = start; // found by the counts, not the walk: its entry is unknown
                    firstSegment = null;
                    firstEntry = -1;
                }
            }
        }
        chunk = null;
        return starts;
    }

    /** The segment of the earliest window's first entry, when {@link #starts} walked to it; else null. */
    Segment firstSegment() {
        return firstSegment;
    }

    /** That entry's number in {@link #firstSegment()}. */
    long firstEntry() {
        return firstEntry;
    }

    /** The buffer offset of entry {@code n}, reading a chunk ending at it (chains lead backwards). */
    private int entryAt(Segment segment, int n) throws IOException {
        if (segment != chunkOf || n < chunkFrom || n >= chunkFrom + chunkHeld) {
            int want = chunk.capacity() / IndexEntry.SIZE;
            long from = Math.max(0, n - want + 1);
            chunk.clear();
            chunk.limit((int) (n - from + 1) * IndexEntry.SIZE);
            segment.readIndex(IndexEntry.at(from), chunk);
            chunkHeld = chunk.position() / IndexEntry.SIZE;
            chunkFrom = from;
            chunkOf = segment;
            if (n >= chunkFrom + chunkHeld) {
                chunkOf = null;
                throw new IOException("index " + segment.indexPath() + " ends before entry " + n);
            }
        }
        return (int) (n - chunkFrom) * IndexEntry.SIZE;
    }
}
