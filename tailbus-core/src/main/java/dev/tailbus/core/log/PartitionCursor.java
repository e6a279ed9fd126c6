package dev.tailbus.core.log;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Walks one partition's visible records in position order through the index, keeping only the
 * entries its {@link TopicWindow} wants and checking each record against its entry
 * ({@link RecordCheck}).
 *
 * <p>Memory: the cursor reads index entries and the records they point to in chunks that start
 * at one entry and double while it reads on, up to its share of its reader's {@link Budget}
 * ({@value #READER_BYTES} bytes over all the reader's cursors; one cursor alone reads up to
 * {@value #MAX_ENTRIES} entries and {@value #MAX_DATA} bytes at a time); once it has caught up it
 * gives its buffers up. So a cursor on an idle partition holds a few dozen bytes, and a reader
 * over 10,000 partitions, however deep its history, holds the budget and one event and one entry
 * per partition.
 *
 * <p>Design note: the cursor holds a segment, not a file name, so rotation (a rename) does not
 * disturb it; when retention deletes the segment under it, it seeks again by position.
 *
 * <p>Not thread-safe: owned by one reader.
 */
final class PartitionCursor {
    private static final System.Logger LOG = System.getLogger(PartitionCursor.class.getName());
    static final int MAX_ENTRIES = 512;
    static final int MAX_DATA = 256 * 1024;
    /** The bytes of read-ahead the cursors of one reader share. */
    static final int READER_BYTES = 4 << 20;
    private static final long UNKNOWN = Long.MIN_VALUE;

    final Partition partition;
    private final TopicWindow window;
    private final Budget budget;
    private Segment segment;
    private long entry;
    /** Index entries from {@link #entriesFrom}; null while idle. */
    private ByteBuffer entries;
    private long entriesFrom = -1;
    private int entriesHeld;
    /** How many entries the next chunk reads. */
    private int chunk = 1;
    /** Record bytes from {@link #dataFrom}; null while idle. */
    private ByteBuffer data;
    private long dataFrom = -1;
    private int dataHeld;
    /** Per topic id of {@link #windowFor}: the lowest position wanted, or {@link #UNKNOWN}. */
    private Segment windowFor;
    private long[] from = new long[0];
    private StoredEvent peeked;
    private long lastSeen;

    PartitionCursor(Partition partition, TopicWindow window, long after, Budget budget) {
        this.partition = partition;
        this.window = window;
        this.budget = budget;
        seek(after);
    }

    /** A cursor starting at entry {@code entry} of {@code segment}, known to follow {@code after}. */
    PartitionCursor(Partition partition, TopicWindow window, long after, Segment segment, long entry,
                    Budget budget) {
        this.partition = partition;
        this.window = window;
        this.budget = budget;
        this.lastSeen = after;
        this.segment = segment;
        this.entry = entry;
    }

    /**
     * What each cursor of one reader may read ahead: the reader's {@value #READER_BYTES} bytes
     * shared by its cursors, set by the reader as cursors join. Not thread-safe: the reader's.
     */
    static final class Budget {
        private int maxEntries = MAX_ENTRIES;
        private int maxData = MAX_DATA;

        /** A budget shared by {@code cursors} cursors. */
        static Budget sharedBy(int cursors) {
            Budget b = new Budget();
            b.share(cursors);
            return b;
        }

        /** Shares the reader's bytes among {@code cursors} cursors. */
        void share(int cursors) {
            long each = READER_BYTES / Math.max(1, cursors);
            maxEntries = (int) Math.max(1, Math.min(MAX_ENTRIES, each / 512));
            maxData = (int) Math.max(0, Math.min(MAX_DATA, each - (long) maxEntries * IndexEntry.SIZE));
        }
    }

    /** Bytes this cursor holds now: its buffers and the event it peeked (tests, statistics). */
    long heldBytes() {
        return (entries == null ? 0 : entries.capacity()) + (data == null ? 0 : data.capacity())
                + (peeked == null ? 0 : peeked.event().length);
    }

    /** Places the cursor at the first visible entry with a position above {@code after}. */
    private void seek(long after) {
        lastSeen = after;
        invalidate();
        Segment[] segments = partition.segments();
        int i = segments.length - 1;
        while (i > 0 && segments[i].firstPosition() > after) {
            i--;
        }
        segment = segments[i];
        long count = segment.count();
        if (count == 0 || segment.visibleLastPosition() <= after) {
            entry = count; // nothing after it here: no need to read the index
            return;
        }
        entry = 0;
        long lo = 0;
        long hi = count;
        ByteBuffer scratch = Segment.littleEndian(8);
        try {
            while (lo < hi) {
                long mid = (lo + hi) >>> 1;
                if (segment.entryLong(mid, IndexEntry.POSITION, scratch) <= after) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            entry = lo;
        } catch (IOException e) {
            if (Segment.isInterrupt(e)) {
                throw LogException.interrupted(segment.dataPath(), e);
            }
            entry = 0;
        }
    }

    private void invalidate() {
        entriesFrom = -1;
        entriesHeld = 0;
        dataFrom = -1;
        dataHeld = 0;
    }

    /** Gives the buffers up (the cursor caught up); the next read allocates them again. */
    private void idle() {
        entries = null;
        data = null;
        invalidate();
        chunk = Math.max(1, chunk / 2);
    }

    /** The next wanted event with a position at most {@code horizon}, without consuming it. */
    StoredEvent peek(long horizon) {
        if (peeked != null) {
            return peeked.position() <= horizon ? peeked : null;
        }
        while (true) {
            try {
                if (entry >= segment.count()) {
                    if (!advanceSegment()) {
                        idle();
                        return null;
                    }
                    continue;
                }
                int at = entryAt(entry);
                long position = entries.getLong(at + IndexEntry.POSITION);
                if (position > horizon) {
                    return null;
                }
                entry++;
                lastSeen = position;
                int id = entries.getInt(at + IndexEntry.TOPIC);
                if (position < from(id)) {
                    continue;
                }
                long time = entries.getLong(at + IndexEntry.TIME);
                byte[] body = body(at);
                if (body == null) {
                    continue;
                }
                peeked = new StoredEvent(position, segment.topics.names()[id], time, body);
                return peeked;
            } catch (IOException e) {
                if (Segment.isInterrupt(e)) {
                    throw LogException.interrupted(segment.dataPath(), e);
                }
                if (Segment.isClosed(e) && !segment.isGone()) {
                    continue; // closed by the open-file cache: the next read opens it again
                }
                if (Segment.isClosed(e)) {
                    // retention deleted the segment under us (or the log closed): find our place again
                    Segment[] now = partition.segments();
                    if (now.length == 0 || indexOf(now, segment) >= 0) {
                        return null;
                    }
                    seek(lastSeen);
                    continue;
                }
                throw LogException.io("read", segment.dataPath(), e);
            }
        }
    }

    /** Consumes the peeked event. */
    void take() {
        peeked = null;
    }

    private boolean advanceSegment() {
        Segment[] segments = partition.segments();
        int i = indexOf(segments, segment);
        if (i < 0) {
            seek(lastSeen); // deleted by retention: on from where we were, in what remains
            return true;
        }
        if (i + 1 >= segments.length || entry < segment.count()) {
            return false;
        }
        segment = segments[i + 1];
        entry = 0;
        invalidate();
        return true;
    }

    private static int indexOf(Segment[] segments, Segment s) {
        for (int i = segments.length - 1; i >= 0; i--) {
            if (segments[i] == s) {
                return i;
            }
        }
        return -1;
    }

    /** The lowest position wanted of topic {@code id} of the current segment. */
    private long from(int id) {
        if (windowFor != segment) {
            windowFor = segment;
            Arrays.fill(from, UNKNOWN);
        }
        if (id >= from.length) {
            int old = from.length;
            from = Arrays.copyOf(from, Math.max(id + 1, old * 2));
            Arrays.fill(from, old, from.length, UNKNOWN);
        }
        long f = from[id];
        if (f == UNKNOWN) {
            f = window.from(segment.topics.names()[id]);
            from[id] = f;
        }
        return f;
    }

    /** The buffer offset of entry {@code n}, loading a chunk of visible entries if needed. */
    private int entryAt(long n) throws IOException {
        if (n < entriesFrom || n >= entriesFrom + entriesHeld) {
            if (n == entriesFrom + entriesHeld && entriesHeld > 0) {
                chunk = chunk * 2; // reading on: larger chunks
            }
            chunk = Math.min(chunk, budget.maxEntries);
            long visible = segment.count();
            int want = (int) Math.min(chunk, visible - n);
            if (entries == null || entries.capacity() < want * IndexEntry.SIZE
                    || entries.capacity() > chunk * IndexEntry.SIZE) {
                entries = Segment.littleEndian(chunk * IndexEntry.SIZE);
            }
            entries.clear();
            entries.limit(want * IndexEntry.SIZE);
            segment.readIndex(IndexEntry.at(n), entries);
            entriesHeld = entries.position() / IndexEntry.SIZE;
            entriesFrom = n;
            if (entriesHeld == 0) {
                throw new IOException("index " + segment.indexPath() + " ends before entry " + n);
            }
        }
        return (int) (n - entriesFrom) * IndexEntry.SIZE;
    }

    /** The record's bytes, or null (logged) when it disagrees with its index entry. */
    private byte[] body(int entryAt) throws IOException {
        long offset = entries.getLong(entryAt + IndexEntry.OFFSET);
        int length = entries.getInt(entryAt + IndexEntry.LENGTH);
        int need = 4 + Math.max(0, length);
        if (offset < dataFrom || offset + need > dataFrom + dataHeld) {
            // read this record and those of the entries held after it, as far as they fit
            int last = entriesHeld - 1;
            int lastAt = last * IndexEntry.SIZE;
            long end = entries.getLong(lastAt + IndexEntry.OFFSET) + 4 + entries.getInt(lastAt + IndexEntry.LENGTH);
            int span = (int) Math.max(need, Math.min(budget.maxData, end - offset));
            if (data == null || data.capacity() < span || data.capacity() > Math.max(need, budget.maxData)) {
                data = Segment.littleEndian(span);
            }
            data.clear();
            data.limit(span);
            dataFrom = offset;
            dataHeld = segment.readData(offset, data);
        }
        int at = (int) (offset - dataFrom);
        String wrong = RecordCheck.check(entries, entryAt, offset, data.array(), at, dataHeld - at, 0);
        if (wrong != null) {
            LOG.log(Level.WARNING, "record in " + segment.dataPath() + " at offset " + offset + " " + wrong
                    + "; skipped");
            if (dataHeld - at < need) {
                dataFrom = -1;
            }
            return null;
        }
        return Arrays.copyOfRange(data.array(), at + 4, at + 4 + length);
    }
}
