package dev.tailbus.core.log;

import dev.tailbus.core.fs.DiskSpace;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Brings one segment and its index into agreement when the log opens, and loads what the log
 * keeps in memory about it (its topics, counts, times).
 *
 * <ul>
 *   <li>The index is kept if its header is valid, its last entry matches the segment's bytes
 *       (length prefix and CRC, by {@link RecordCheck}) and every entry agrees with the others and
 *       the segment (positions growing, records in order inside the segment, topic ids in order);
 *       entries pointing past the end of the segment (a power loss lost data the index had) are
 *       dropped; otherwise the index is rebuilt from the segment.
 *   <li>Records after the index's last entry (a crash between writing data and index) are indexed.
 *   <li>A torn last record (its length runs past the end of the file, or its bytes are not an
 *       event) is truncated away and logged with file and offset.
 *   <li>A corrupt record before the last is logged with file and offset and left out of the
 *       index, so readers skip it.
 *   <li>A record without a position field (written by the reference) stops the scan and marks the
 *       segment for {@link #migrate migration}.
 * </ul>
 *
 * <p>Called only while the log opens, before any reader exists.
 */
final class SegmentRecovery {
    private static final System.Logger LOG = System.getLogger(SegmentRecovery.class.getName());

    private SegmentRecovery() {
    }

    /** What recovery found. */
    static final class Result {
        boolean legacy;
        int corrupt;
        long truncatedAt = -1;
        boolean rebuilt;
        /** Records left unindexed for want of room (see {@link #deferTail}), 0 when none. */
        long deferred;
        long deferredFirstPosition = Long.MAX_VALUE;
        long deferredLastPosition;
        IOException deferredCause;
    }

    /**
     * Recovers {@code segment}; returns a writer positioned at its end. When indexing needs room
     * the disk has not, the segment is loaded as far as its index on disk goes and the rest is
     * left for later ({@link #deferTail}): the returned writer must then not be used.
     */
    static SegmentWriter recover(Segment segment, boolean rebuild, Result result, WriteBuffers buffers)
            throws IOException {
        try {
            return recoverPinned(segment, rebuild, result, buffers);
        } catch (IOException e) {
            if (!DiskSpace.isExhausted(e)) {
                throw e;
            }
            return deferTail(segment, e, result, buffers);
        }
    }

    /**
     * Loads the segment only as far as its index on disk is whole and agrees with it, writing
     * nothing; the records after (those recovery could not index for want of room) are counted,
     * with their positions, into {@code result}, and left in the file as they are for the next
     * open with room.
     */
    private static SegmentWriter deferTail(Segment segment, IOException cause, Result result, WriteBuffers buffers)
            throws IOException {
        Segment fresh = reset(segment);
        long dataSize = fresh.dataChannel().size();
        FileChannel index = fresh.indexChannel();
        long entries = 0;
        if (index.size() >= IndexEntry.HEADER) {
            ByteBuffer header = Segment.littleEndian(IndexEntry.HEADER);
            index.read(header, 0);
            header.flip();
            if (IndexEntry.validHeader(header)) {
                entries = trustedEntries(fresh, (index.size() - IndexEntry.HEADER) / IndexEntry.SIZE, dataSize);
            }
        }
        if (entries > 0 && !loadEntries(fresh, entries, dataSize)) {
            fresh = reset(fresh);
            entries = 0;
        }
        RecordScanner scanner = new RecordScanner(fresh.dataChannel(), fresh.dataEnd, dataSize);
        EventWire.Fields fields = new EventWire.Fields();
        while (scanner.next() == RecordScanner.Status.RECORD) {
            if (EventWire.parse(scanner.body(), scanner.bodyOffset(), (int) scanner.length, fields)
                    && fields.position > 0) {
                result.deferred++;
                result.deferredFirstPosition = Math.min(result.deferredFirstPosition, fields.position);
                result.deferredLastPosition = Math.max(result.deferredLastPosition, fields.position);
            }
        }
        result.deferredCause = cause;
        if (result.deferred > 0) {
            LOG.log(Level.WARNING, "no room to index " + result.deferred + " records of " + fresh.dataPath() + " ("
                    + cause.getMessage() + "): they are left for the next open with room");
        }
        return new SegmentWriter(fresh, buffers);
    }

    /**
     * Indexes the records after the segment's last loaded entry (left by {@link #deferTail})
     * through {@code writer}, and writes the entries; under the log's lock, once there is room.
     */
    static void indexTail(Segment segment, SegmentWriter writer) throws IOException {
        scanTail(segment, writer, segment.dataChannel().size(), new Result());
        writer.flush();
    }

    private static SegmentWriter recoverPinned(Segment segment, boolean rebuild, Result result, WriteBuffers buffers)
            throws IOException {
        FileChannel data = segment.pinWriter(false);
        try {
            FileChannel index = segment.pinWriter(true);
            try {
                return recover(segment, data, index, rebuild, result, buffers);
            } finally {
                segment.unpinWriter(true);
            }
        } finally {
            segment.unpinWriter(false);
        }
    }

    private static SegmentWriter recover(Segment segment, FileChannel data, FileChannel index, boolean rebuild,
                                         Result result, WriteBuffers buffers) throws IOException {
        long dataSize = data.size();
        if (dataSize == 0 && index.size() == 0) {
            return new SegmentWriter(segment, buffers, true); // empty: its index's header comes with its first entry
        }
        long entries = 0;
        boolean headed = false;
        if (index.size() >= IndexEntry.HEADER) {
            ByteBuffer header = Segment.littleEndian(IndexEntry.HEADER);
            index.read(header, 0);
            header.flip();
            headed = IndexEntry.validHeader(header);
            if (headed && !rebuild) {
                entries = (index.size() - IndexEntry.HEADER) / IndexEntry.SIZE;
                entries = trustedEntries(segment, entries, dataSize);
            }
        }
        if (entries == 0) {
            result.rebuilt = index.size() > IndexEntry.HEADER || rebuild;
            if (headed) {
                index.truncate(IndexEntry.HEADER); // a good header stays: a full disk needs no new block for it
            } else {
                index.truncate(0);
                index.write(IndexEntry.header(), 0);
            }
        } else {
            index.truncate(IndexEntry.at(entries));
        }
        if (!loadEntries(segment, entries, dataSize)) {
            // an entry disagrees with the others or with the segment: the index is not ours to trust
            LOG.log(Level.WARNING, "rebuilding index " + segment.indexPath() + ": an entry disagrees with its segment");
            result.rebuilt = true;
            return recover(reset(segment), true, result, buffers);
        }
        SegmentWriter writer = new SegmentWriter(segment, buffers);
        scanTail(segment, writer, dataSize, result);
        writer.flush();
        return writer;
    }

    private static Segment reset(Segment segment) throws IOException {
        segment.close();
        return Segment.open(segment.dataPath(), segment.files());
    }

    /** How many of the index's {@code entries} agree with the segment's bytes (0: rebuild). */
    private static long trustedEntries(Segment segment, long entries, long dataSize) throws IOException {
        ByteBuffer entry = Segment.littleEndian(IndexEntry.SIZE);
        while (entries > 0) {
            entry.clear();
            segment.indexChannel().read(entry, IndexEntry.at(entries - 1));
            long offset = entry.getLong(IndexEntry.OFFSET);
            long length = entry.getInt(IndexEntry.LENGTH) & 0xFFFFFFFFL;
            if (offset < 0 || offset + 4 + length > dataSize) {
                entries--;
                continue;
            }
            ByteBuffer record = Segment.littleEndian((int) (4 + length));
            int read = segment.readData(offset, record);
            return RecordCheck.check(entry, 0, offset, record.array(), 0, read, 0) == null ? entries : 0;
        }
        return 0;
    }

    /**
     * Loads the first {@code entries} index entries into memory; false if one disagrees with the
     * others or with the segment: positions must grow, records must follow one another (a
     * skipped corrupt record leaves a gap) and lie inside the segment, topic ids must be known or
     * the next new one.
     */
    private static boolean loadEntries(Segment segment, long entries, long dataSize) throws IOException {
        ByteBuffer chunk = Segment.littleEndian(IndexEntry.SIZE * 4096);
        TopicTable topics = segment.topics;
        EventWire.Fields fields = new EventWire.Fields();
        long end = 0;
        long previousPosition = 0;
        long n = 0;
        while (n < entries) {
            int got = segment.readEntries(n, chunk);
            got = (int) Math.min(got, entries - n);
            for (int i = 0; i < got; i++) {
                int at = i * IndexEntry.SIZE;
                long position = chunk.getLong(at + IndexEntry.POSITION);
                long offset = chunk.getLong(at + IndexEntry.OFFSET);
                long time = chunk.getLong(at + IndexEntry.TIME);
                int id = chunk.getInt(at + IndexEntry.TOPIC);
                int length = chunk.getInt(at + IndexEntry.LENGTH);
                if (position <= previousPosition || offset < end || length < 0
                        || offset + 4 + (long) length > dataSize) {
                    return false;
                }
                previousPosition = position;
                if (id == topics.size()) {
                    ByteBuffer record = Segment.littleEndian(length);
                    segment.readData(offset + 4, record);
                    if (!EventWire.parse(record.array(), 0, length, fields) || fields.topic == null) {
                        return false;
                    }
                    topics.add(fields.topic);
                } else if (id < 0 || id > topics.size()) {
                    return false;
                }
                topics.record(id, Math.toIntExact(n + i), position, time, length);
                segment.noteEntry(position, time);
                end = offset + 4 + length;
            }
            if (got == 0) {
                return false;
            }
            n += got;
        }
        segment.dataEnd = end;
        return true;
    }

    private static void scanTail(Segment segment, SegmentWriter writer, long dataSize, Result result)
            throws IOException {
        RecordScanner scanner = new RecordScanner(segment.dataChannel(), segment.dataEnd, dataSize);
        EventWire.Fields fields = new EventWire.Fields();
        while (true) {
            RecordScanner.Status status = scanner.next();
            if (status == RecordScanner.Status.END) {
                break;
            }
            if (status == RecordScanner.Status.TORN) {
                truncate(segment, scanner.offset, scanner.length < 0 ? "a length prefix cut short"
                        : "length " + scanner.length + " runs past the end of the file", result);
                break;
            }
            int length = (int) scanner.length;
            boolean parsed = EventWire.parse(scanner.body(), scanner.bodyOffset(), length, fields)
                    && fields.topic != null;
            if (!parsed) {
                if (scanner.nextOffset() == dataSize) {
                    truncate(segment, scanner.offset, "the last record is not an event", result);
                    break;
                }
                LOG.log(Level.WARNING, "corrupt record in " + segment.dataPath() + " at offset " + scanner.offset
                        + " (" + length + " bytes): not an event; readers skip it");
                result.corrupt++;
                writer.skipDataTo(scanner.nextOffset());
                continue;
            }
            if (fields.position <= 0) {
                result.legacy = true;
                return;
            }
            writer.skipDataTo(scanner.nextOffset());
            writer.index(fields.topic, fields.position, fields.receiveTimeNanos, scanner.offset, length,
                    RecordCheck.crc(scanner.body(), scanner.bodyOffset(), length));
        }
    }

    private static void truncate(Segment segment, long offset, String why, Result result) throws IOException {
        LOG.log(Level.WARNING, "truncating torn record in " + segment.dataPath() + " at offset " + offset + ": " + why);
        segment.dataChannel().truncate(offset);
        segment.dataChannel().force(false);
        result.truncatedAt = offset;
    }

    /**
     * Rewrites a segment written by the reference so that every record carries a position: records
     * without one get {@code next}, {@code next + 1}, ... in file order; others, and records that
     * are not events, are copied unchanged. Write a temporary file, force it, rename it over the
     * segment, force the folder. Returns the next unused position.
     */
    static long migrate(java.nio.file.Path file, long next) throws IOException {
        java.nio.file.Path temp = SegmentFiles.temporary(file);
        EventWire.Fields fields = new EventWire.Fields();
        int added = 0;
        try (FileChannel in = FileChannel.open(file, java.nio.file.StandardOpenOption.READ);
             FileChannel out = FileChannel.open(temp, java.nio.file.StandardOpenOption.CREATE,
                     java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            RecordScanner scanner = new RecordScanner(in, 0, in.size());
            ByteBuffer buffer = Segment.littleEndian(1 << 20);
            while (scanner.next() == RecordScanner.Status.RECORD) {
                int length = (int) scanner.length;
                boolean needs = EventWire.parse(scanner.body(), scanner.bodyOffset(), length, fields)
                        && fields.topic != null && fields.position <= 0;
                int extra = needs ? EventWire.positionFieldSize(next) : 0;
                if (buffer.remaining() < 4 + length + extra) {
                    drain(out, buffer);
                    if (buffer.capacity() < 4 + length + extra) {
                        buffer = Segment.littleEndian(4 + length + extra);
                    }
                }
                buffer.putInt(length + extra).put(scanner.body(), scanner.bodyOffset(), length);
                if (needs) {
                    byte[] field = new byte[extra];
                    field[0] = EventWire.TAG0;
                    field[1] = EventWire.TAG1;
                    EventWire.writeVarint(field, 2, next++);
                    buffer.put(field);
                    added++;
                }
            }
            drain(out, buffer);
            out.force(true);
        }
        dev.tailbus.core.fs.Durable.move(temp, file);
        dev.tailbus.core.fs.Durable.forceFolder(file.toAbsolutePath().getParent());
        LOG.log(Level.INFO, "gave positions to " + added + " records of " + file + " written without them");
        return next;
    }

    private static void drain(FileChannel out, ByteBuffer buffer) throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
        buffer.clear();
    }
}
