package dev.tailbus.core.log;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * Walks one partition's visible records in position order through the index, reading entries
 * and data in chunks, keeping only topics that match a filter and checking each record's CRC.
 *
 * <p>Design note: the cursor holds a segment, not a file name, so rotation (a rename) does not
 * disturb it; when retention deletes the segment under it, it seeks again by position.
 *
 * <p>Not thread-safe: owned by one reader.
 */
final class PartitionCursor {
    private static final System.Logger LOG = System.getLogger(PartitionCursor.class.getName());
    private static final int ENTRY_CHUNK = 512;
    private static final int DATA_CHUNK = 256 * 1024;

    final Partition partition;
    private final Predicate<String> filter;
    private Segment segment;
    private long entry;
    private final ByteBuffer entries = Segment.littleEndian(IndexEntry.SIZE * ENTRY_CHUNK);
    private long entriesFrom = -1;
    private int entriesHeld;
    private ByteBuffer data = Segment.littleEndian(DATA_CHUNK);
    private long dataFrom = -1;
    private int dataHeld;
    private Segment matchesFor;
    private byte[] matches = new byte[8];
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer scratch = Segment.littleEndian(8);
    private StoredEvent peeked;
    private long lastSeen;

    PartitionCursor(Partition partition, Predicate<String> filter, long after) {
        this.partition = partition;
        this.filter = filter;
        seek(after);
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
        entry = 0;
        long lo = 0;
        long hi = segment.count();
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

    /** The next matching event with a position at most {@code horizon}, without consuming it. */
    StoredEvent peek(long horizon) {
        if (peeked != null) {
            return peeked.position() <= horizon ? peeked : null;
        }
        while (true) {
            try {
                if (entry >= segment.count()) {
                    if (!advanceSegment()) {
                        return null;
                    }
                    continue;
                }
                int at = entryAt(entry);
                long position = entries.getLong(at + IndexEntry.POSITION);
                if (position > horizon) {
                    return null;
                }
                long current = entry++;
                lastSeen = position;
                int id = entries.getInt(at + IndexEntry.TOPIC);
                if (!matches(id)) {
                    continue;
                }
                long offset = entries.getLong(at + IndexEntry.OFFSET);
                int length = entries.getInt(at + IndexEntry.LENGTH);
                int checksum = entries.getInt(at + IndexEntry.CRC);
                long time = entries.getLong(at + IndexEntry.TIME);
                byte[] body = body(offset, length, checksum, current);
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
                    continue; // released after a rotation: the next read opens it again
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
            seek(lastSeen);
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

    private boolean matches(int id) {
        if (matchesFor != segment) {
            matchesFor = segment;
            Arrays.fill(matches, (byte) 0);
        }
        if (id >= matches.length) {
            matches = Arrays.copyOf(matches, Math.max(id + 1, matches.length * 2));
        }
        byte m = matches[id];
        if (m == 0) {
            m = filter.test(segment.topics.names()[id]) ? (byte) 1 : (byte) 2;
            matches[id] = m;
        }
        return m == 1;
    }

    /** The buffer offset of entry {@code n}, loading a chunk of visible entries if needed. */
    private int entryAt(long n) throws IOException {
        if (n < entriesFrom || n >= entriesFrom + entriesHeld) {
            long visible = segment.count();
            int want = (int) Math.min(ENTRY_CHUNK, visible - n);
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

    /** The record's bytes, or null (logged) when its length prefix or CRC is wrong. */
    private byte[] body(long offset, int length, int checksum, long entryNumber) throws IOException {
        int need = 4 + length;
        if (offset < dataFrom || offset + need > dataFrom + dataHeld) {
            if (need > data.capacity()) {
                data = Segment.littleEndian(need);
            }
            data.clear();
            dataFrom = offset;
            dataHeld = segment.readData(offset, data);
            if (dataHeld < need) {
                LOG.log(Level.WARNING, "record in " + segment.dataPath() + " at offset " + offset
                        + " is cut short; skipped");
                dataFrom = -1;
                return null;
            }
        }
        int at = (int) (offset - dataFrom);
        if (data.getInt(at) != length) {
            LOG.log(Level.WARNING, "corrupt record in " + segment.dataPath() + " at offset " + offset
                    + ": length prefix does not match the index; skipped");
            return null;
        }
        crc.reset();
        crc.update(data.array(), at + 4, length);
        if ((int) crc.getValue() != checksum) {
            LOG.log(Level.WARNING, "corrupt record in " + segment.dataPath() + " at offset " + offset
                    + ": checksum mismatch; skipped");
            return null;
        }
        return Arrays.copyOfRange(data.array(), at + 4, at + 4 + length);
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
