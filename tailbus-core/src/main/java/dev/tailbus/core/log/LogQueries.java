package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The log's queries beyond a plain read from a position: the last N events of every topic
 * ({@link #lastPerTopic}), the first event at or after a time ({@link #readFromTime}) and the
 * topic statistics ({@link #topics}). Each works on what is visible, without reading a file or
 * running the caller's filter under the append lock.
 *
 * <p>Threading: thread-safe (called on any thread).
 */
final class LogQueries {
    private final EventLog log;
    private final ReentrantLock lock;
    private final int maxHistoryDepth;
    private final Runnable whileMerging;

    LogQueries(EventLog log, ReentrantLock lock, int maxHistoryDepth) {
        this(log, lock, maxHistoryDepth, () -> { });
    }

    /** As above; {@code whileMerging} runs before each partition's statistics are merged (tests). */
    LogQueries(EventLog log, ReentrantLock lock, int maxHistoryDepth, Runnable whileMerging) {
        this.log = log;
        this.lock = lock;
        this.maxHistoryDepth = maxHistoryDepth;
        this.whileMerging = whileMerging;
    }

    /**
     * The last {@code n} stored events of every topic matching {@code topics}, among events with
     * position <= {@code upTo}, in position order, as a reader that streams them: the topics' heads
     * are copied under the lock (memory only; the filter runs before, without it), the indexes say
     * where each topic's window begins
     * ({@link HistoryStarts}, index entries only), and one cursor per partition then reads the
     * windows in position order. Memory grows with the matching topics, never with {@code n}.
     */
    LogReader lastPerTopic(Predicate<String> topics, int n, long upTo) {
        if (n <= 0) {
            return LogReader.of(List.of());
        }
        if (n > maxHistoryDepth) {
            throw new LogException(Kind.BAD_INPUT, "a history depth of " + n + " is above this store's limit of "
                    + maxHistoryDepth);
        }
        List<Partition> matching = new ArrayList<>();
        List<HistoryStarts> heads = new ArrayList<>();
        log.ensureOpen();
        long limit = Math.min(upTo, log.lastPosition());
        for (Partition p : log.partitions()) { // the filter runs without the lock
            if (p.hasTopic(topics)) {
                HistoryStarts h = HistoryStarts.matching(p, topics, limit);
                if (!h.isEmpty()) {
                    matching.add(p);
                    heads.add(h);
                }
            }
        }
        lock.lock();
        try {
            log.ensureOpen();
            for (HistoryStarts h : heads) {
                h.takeHeads(); // memory only
            }
        } finally {
            lock.unlock();
        }
        List<PartitionCursor> cursors = new ArrayList<>(matching.size());
        PartitionCursor.Budget budget = PartitionCursor.Budget.sharedBy(matching.size());
        ByteBuffer buffer = HistoryStarts.buffer();
        for (int i = 0; i < matching.size(); i++) {
            Map<String, Long> starts;
            try {
                starts = heads.get(i).starts(n, limit, buffer);
            } catch (IOException e) {
                if (Segment.isInterrupt(e)) {
                    throw LogException.interrupted(log.root().resolve(matching.get(i).prefix), e);
                }
                if (Segment.isClosed(e)) {
                    continue; // deleted by retention or closed meanwhile: nothing of it to read
                }
                throw LogException.io("read the indexes of", log.root().resolve(matching.get(i).prefix), e);
            }
            HistoryStarts found = heads.set(i, null);
            if (starts.isEmpty()) {
                continue;
            }
            long first = Long.MAX_VALUE;
            for (long start : starts.values()) {
                first = Math.min(first, start);
            }
            TopicWindow window = t -> starts.getOrDefault(t, Long.MAX_VALUE);
            cursors.add(found.firstSegment() != null
                    ? new PartitionCursor(matching.get(i), window, first - 1, found.firstSegment(), found.firstEntry(),
                            budget)
                    : new PartitionCursor(matching.get(i), window, first - 1, budget));
        }
        return new MergedReader(cursors, budget, limit);
    }

    /**
     * A reader starting at the first stored event with receive time >= {@code timeNanos} (by the
     * indexes' running maximum of receive times, so a binary search), in position order from there.
     */
    LogReader readFromTime(Predicate<String> topics, long timeNanos) {
        long start = Long.MAX_VALUE;
        ByteBuffer scratch = Segment.littleEndian(8);
        log.ensureOpen();
        // no lock: partitions, segments and visible counts are snapshots readers may take at any time
        long horizon = log.lastPosition();
        try {
            for (Partition p : log.partitions()) {
                if (!p.hasTopic(topics)) {
                    continue;
                }
                Segment[] segments = p.segments();
                for (int i = 0; i < segments.length; i++) {
                    long found = firstAtOrAfter(segments[i], timeNanos, i == segments.length - 1, scratch);
                    if (found >= 0) {
                        start = Math.min(start, found);
                        break;
                    }
                }
            }
        } catch (IOException e) {
            if (Segment.isInterrupt(e)) {
                throw LogException.interrupted(log.root(), e);
            }
            throw LogException.io("search the indexes of", log.root(), e);
        }
        return log.readAfter(topics, start == Long.MAX_VALUE ? horizon : start - 1);
    }

    /**
     * The position of the first visible entry of {@code segment} whose running maximum of receive
     * times reaches {@code timeNanos}, or -1. A rotated segment's maximum is known and final; the
     * live one's is read from its last visible entry (the in-memory one may be ahead of it).
     */
    private static long firstAtOrAfter(Segment segment, long timeNanos, boolean live, ByteBuffer scratch)
            throws IOException {
        long count = segment.count();
        if (count == 0 || !live && segment.maxTime < timeNanos) {
            return -1;
        }
        try {
            if (segment.entryLong(count - 1, IndexEntry.MAX_TIME, scratch) < timeNanos) {
                return -1;
            }
            long lo = 0;
            long hi = count - 1;
            while (lo < hi) {
                long mid = (lo + hi) >>> 1;
                if (segment.entryLong(mid, IndexEntry.MAX_TIME, scratch) < timeNanos) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return segment.entryLong(lo, IndexEntry.POSITION, scratch);
        } catch (IOException e) {
            if (Segment.isClosed(e) && !Segment.isInterrupt(e) && segment.isGone()) {
                return -1; // deleted by retention meanwhile
            }
            throw e;
        }
    }

    /**
     * Per stored topic: counts, bytes, first/last position and time. A topic stored by two
     * patterns is counted from the partition holding most of it. The topic tables' figures are
     * copied under the lock into a few flat arrays; they are merged and sorted without it.
     */
    List<TopicStats> topics() {
        // under the lock: each segment's figures copied into flat arrays (a few array copies per
        // segment, nothing allocated per topic)
        String[] names;
        long[] count;
        long[] bytes;
        long[] firstPosition;
        long[] lastPosition;
        long[] firstTime;
        long[] lastTime;
        int[] partitionEnds;
        lock.lock();
        try {
            log.ensureOpen();
            Partition[] partitions = log.partitions();
            int total = 0;
            for (Partition p : partitions) {
                for (Segment s : p.segments()) {
                    total += s.topics.names().length;
                }
            }
            names = new String[total];
            count = new long[total];
            bytes = new long[total];
            firstPosition = new long[total];
            lastPosition = new long[total];
            firstTime = new long[total];
            lastTime = new long[total];
            partitionEnds = new int[partitions.length];
            int at = 0;
            for (int i = 0; i < partitions.length; i++) {
                for (Segment s : partitions[i].segments()) {
                    TopicTable t = s.topics;
                    String[] n = t.names();
                    System.arraycopy(n, 0, names, at, n.length);
                    System.arraycopy(t.count, 0, count, at, n.length);
                    System.arraycopy(t.bytes, 0, bytes, at, n.length);
                    System.arraycopy(t.firstPosition, 0, firstPosition, at, n.length);
                    System.arraycopy(t.lastPosition, 0, lastPosition, at, n.length);
                    System.arraycopy(t.firstTime, 0, firstTime, at, n.length);
                    System.arraycopy(t.lastTime, 0, lastTime, at, n.length);
                    at += n.length;
                }
                partitionEnds[i] = at;
            }
        } finally {
            lock.unlock();
        }
        Map<String, TopicStats> best = new TreeMap<>();
        int from = 0;
        for (int end : partitionEnds) {
            whileMerging.run();
            Map<String, TopicStats> mine = new HashMap<>();
            for (int i = from; i < end; i++) {
                TopicStats add = new TopicStats(names[i], count[i], bytes[i], firstPosition[i], lastPosition[i],
                        firstTime[i], lastTime[i]);
                mine.merge(names[i], add, (a, b) -> new TopicStats(a.topic(), a.events() + b.events(),
                        a.bytes() + b.bytes(), Math.min(a.firstPosition(), b.firstPosition()),
                        Math.max(a.lastPosition(), b.lastPosition()), Math.min(a.firstTimeNanos(),
                        b.firstTimeNanos()), Math.max(a.lastTimeNanos(), b.lastTimeNanos())));
            }
            for (TopicStats s : mine.values()) {
                best.merge(s.topic(), s, (a, b) -> a.events() >= b.events() ? a : b);
            }
            from = end;
        }
        return new ArrayList<>(best.values());
    }
}
