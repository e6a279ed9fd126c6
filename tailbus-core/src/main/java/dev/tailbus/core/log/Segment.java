package dev.tailbus.core.log;

import dev.tailbus.core.fs.Closeables;
import dev.tailbus.core.fs.Durable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment file ({@code PREFIX.pb} or a rotated {@code PREFIX.<position>.pb}) and its index,
 * open for positional reads by any number of readers, and what the log knows of it in memory.
 *
 * <p>Record format, exactly the reference's (see {@link IndexEntry} for the index):
 * <pre>
 *   +----------------+-----------------------------------------------+
 *   | length (u32 LE)| serialized EncapsulatedEvent, `length` bytes  |  ... next record
 *   +----------------+-----------------------------------------------+
 * </pre>
 *
 * <p>Design note: readers never use the writer's channels. Reads go through a second pair of
 * read-only channels, opened on the first read and opened again when found closed: a reader
 * thread that is interrupted makes the JDK close the channel it reads through
 * ({@link java.nio.channels.ClosedByInterruptException}), which must not stop the writer, and
 * other readers then simply read through a fresh channel. A closed (rotated) segment gives up its
 * file descriptors after the log opens ({@link #release()}) and opens its read channels again on
 * the first read, so that a store with many old segments does not hold a descriptor for each.
 *
 * <p>Threading: {@link #count()}, {@link #firstPosition()} and the read methods are safe on any
 * thread; everything else is called under the log's lock. Readers see only the first
 * {@link #count()} entries, which are on the operating system's side (and forced, with the
 * {@code BATCH} flush policy) before count is raised.
 */
final class Segment {
    private volatile Path dataPath;
    /** The writer's channels: null once released or closed. Readers never use them. */
    private volatile FileChannel data;
    private volatile FileChannel index;
    /** The readers' channels, read-only: opened on demand, replaced when closed. */
    private volatile FileChannel readData;
    private volatile FileChannel readIndex;
    private boolean closed;
    final TopicTable topics = new TopicTable();

    private volatile long count;
    private volatile long firstPosition = Long.MAX_VALUE;
    /** Entries in the index (written or buffered): under the lock. */
    long entries;
    /** Bytes of the segment (written or buffered): under the lock. */
    long dataEnd;
    long lastPosition;
    long firstTime = Long.MAX_VALUE;
    long lastTime = Long.MIN_VALUE;
    long maxTime = Long.MIN_VALUE;

    private Segment(Path dataPath, FileChannel data, FileChannel index) {
        this.dataPath = dataPath;
        this.data = data;
        this.index = index;
    }

    /** Opens (creating when {@code create}) the segment at {@code dataPath} and its index. */
    static Segment open(Path dataPath, boolean writable) throws IOException {
        FileChannel data = writable
                ? FileChannel.open(dataPath, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(dataPath, StandardOpenOption.READ);
        FileChannel index;
        try {
            Path indexPath = SegmentFiles.index(dataPath);
            if (writable) {
                index = FileChannel.open(indexPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } else if (Files.exists(indexPath)) {
                index = FileChannel.open(indexPath, StandardOpenOption.READ);
            } else {
                index = null;
            }
        } catch (IOException e) {
            data.close();
            throw e;
        }
        return new Segment(dataPath, data, index);
    }

    Path dataPath() {
        return dataPath;
    }

    Path indexPath() {
        return SegmentFiles.index(dataPath);
    }

    /** The writer's data channel (writer and recovery only); fails as closed once released. */
    FileChannel dataChannel() throws IOException {
        FileChannel c = data;
        if (c == null) {
            throw new ClosedChannelException();
        }
        return c;
    }

    /** The writer's index channel (writer and recovery only); fails as closed once released. */
    FileChannel indexChannel() throws IOException {
        FileChannel c = index;
        if (c == null) {
            throw new ClosedChannelException();
        }
        return c;
    }

    /** A readers' channel, opened (again) when missing or closed; fails as closed once closed for good. */
    private FileChannel reader(boolean ofIndex) throws IOException {
        FileChannel c = ofIndex ? readIndex : readData;
        return c != null && c.isOpen() ? c : openReader(ofIndex);
    }

    private synchronized FileChannel openReader(boolean ofIndex) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        FileChannel c = ofIndex ? readIndex : readData;
        if (c == null || !c.isOpen()) {
            c = FileChannel.open(ofIndex ? indexPath() : dataPath, StandardOpenOption.READ);
            if (ofIndex) {
                readIndex = c;
            } else {
                readData = c;
            }
        }
        return c;
    }

    /**
     * Closes the files of a segment no one writes to any more: the writer's for good, the readers'
     * until the next read opens them again.
     */
    synchronized void release() throws IOException {
        FileChannel d = data;
        FileChannel i = index;
        FileChannel rd = readData;
        FileChannel ri = readIndex;
        data = null;
        index = null;
        readData = null;
        readIndex = null;
        Closeables.closeAll(ri, rd, i, d);
    }

    /** Closes the readers' channels (the next read opens them again), e.g. once recovery is done. */
    synchronized void releaseReaders() throws IOException {
        FileChannel rd = readData;
        FileChannel ri = readIndex;
        readData = null;
        readIndex = null;
        Closeables.closeAll(ri, rd);
    }

    /** Entries visible to readers. */
    long count() {
        return count;
    }

    /** The position of the first entry, or {@link Long#MAX_VALUE} when empty. */
    long firstPosition() {
        return firstPosition;
    }

    /** Makes every written entry visible; under the lock, after the entries reached the OS. */
    void publish() {
        count = entries;
    }

    /** Notes one more entry (written or buffered); under the lock. */
    void noteEntry(long position, long time) {
        if (entries == 0) {
            firstPosition = position;
        }
        entries++;
        lastPosition = position;
        firstTime = Math.min(firstTime, time);
        lastTime = Math.max(lastTime, time);
        maxTime = Math.max(maxTime, time);
    }

    /** Reads index entries from {@code entry} into {@code dst} (little-endian); returns whole entries read. */
    int readEntries(long entry, ByteBuffer dst) throws IOException {
        dst.clear();
        readIndex(IndexEntry.at(entry), dst);
        dst.flip();
        return dst.remaining() / IndexEntry.SIZE;
    }

    /**
     * Reads index bytes at {@code at} into {@code dst} from its position until it is full or the
     * file ends; returns the bytes read.
     */
    int readIndex(long at, ByteBuffer dst) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            if (reader(true).read(dst, at + dst.position() - start) < 0) {
                break;
            }
        }
        return dst.position() - start;
    }

    /** One index entry's 8-byte field. */
    long entryLong(long entry, int field, ByteBuffer scratch8) throws IOException {
        scratch8.clear();
        if (readIndex(IndexEntry.at(entry) + field, scratch8) < 8) {
            throw new IOException("index " + indexPath() + " ends before entry " + entry);
        }
        return scratch8.getLong(0);
    }

    /** Reads data bytes at {@code offset} into {@code dst}; returns the bytes read. */
    int readData(long offset, ByteBuffer dst) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            int n = reader(false).read(dst, offset + dst.position() - start);
            if (n < 0) {
                break;
            }
        }
        return dst.position() - start;
    }

    /** Renames the segment and its index (already flushed) to {@code target}, durably. */
    synchronized void renameTo(Path target) throws IOException {
        Path oldIndex = indexPath();
        Durable.move(oldIndex, SegmentFiles.index(target));
        Durable.move(dataPath, target);
        dataPath = target;
        Durable.forceFolder(target.toAbsolutePath().getParent());
    }

    /** Forces the segment's data to stable storage. */
    void force() throws IOException {
        FileChannel c = data;
        if (c != null) {
            c.force(false);
        }
    }

    /** Deletes the segment's files, durably. */
    void delete() throws IOException {
        // closed first, so that a reader fails as "closed" (and moves on), never as "missing file"
        close();
        Path oldData = dataPath;
        Files.deleteIfExists(SegmentFiles.index(oldData));
        Files.deleteIfExists(oldData);
        Durable.forceFolder(oldData.toAbsolutePath().getParent());
    }

    /** Whether the segment was closed for good (deleted, or the log closed), not just released. */
    synchronized boolean isGone() {
        return closed;
    }

    /** Closes both files for good (reads then fail as closed). Idempotent. */
    synchronized void close() throws IOException {
        closed = true;
        release();
    }

    /** Whether a read failed because its channel was closed (released, deleted, or by an interrupt). */
    static boolean isClosed(IOException e) {
        return e instanceof ClosedChannelException;
    }

    /** Whether a read failed because the reading thread was interrupted: end the read, never retry. */
    static boolean isInterrupt(IOException e) {
        return e instanceof ClosedByInterruptException;
    }

    static ByteBuffer littleEndian(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String toString() {
        return dataPath.toString();
    }
}
