package dev.tailbus.core.log;

import dev.tailbus.core.fs.Durable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * <p>Design note: a closed (rotated) segment gives up its two file descriptors after the log
 * opens ({@link #release()}) and opens them again, read-only, on the first read, so that a store
 * with many old segments does not hold a descriptor for each.
 *
 * <p>Threading: {@link #count()}, {@link #firstPosition()} and the read methods are safe on any
 * thread; everything else is called under the log's lock. Readers see only the first
 * {@link #count()} entries, which are on the operating system's side (and forced, with the
 * {@code BATCH} flush policy) before count is raised.
 */
final class Segment {
    private volatile Path dataPath;
    private volatile FileChannel data;
    private volatile FileChannel index;
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

    FileChannel dataChannel() throws IOException {
        FileChannel c = data;
        return c != null ? c : reopen().data;
    }

    FileChannel indexChannel() throws IOException {
        FileChannel c = index;
        return c != null ? c : reopen().index;
    }

    /** Opens a released segment's files again, read-only; fails as closed once closed or deleted. */
    private synchronized Segment reopen() throws IOException {
        if (closed) {
            throw new java.nio.channels.ClosedChannelException();
        }
        if (data == null || index == null) {
            FileChannel d = FileChannel.open(dataPath, StandardOpenOption.READ);
            try {
                index = FileChannel.open(indexPath(), StandardOpenOption.READ);
            } catch (IOException e) {
                d.close();
                throw e;
            }
            data = d;
        }
        return this;
    }

    /** Closes the files of a segment no one writes to; the next read opens them again. */
    synchronized void release() throws IOException {
        FileChannel d = data;
        FileChannel i = index;
        data = null;
        index = null;
        closeAll(i, d);
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
        long at = IndexEntry.at(entry);
        while (dst.hasRemaining()) {
            int n = indexChannel().read(dst, at + dst.position());
            if (n < 0) {
                break;
            }
        }
        dst.flip();
        return dst.remaining() / IndexEntry.SIZE;
    }

    /** One index entry's 8-byte field. */
    long entryLong(long entry, int field, ByteBuffer scratch8) throws IOException {
        scratch8.clear();
        long at = IndexEntry.at(entry) + field;
        while (scratch8.hasRemaining()) {
            if (indexChannel().read(scratch8, at + scratch8.position()) < 0) {
                throw new IOException("index " + indexPath() + " ends before entry " + entry);
            }
        }
        return scratch8.getLong(0);
    }

    /** Reads data bytes at {@code offset} into {@code dst}; returns the bytes read. */
    int readData(long offset, ByteBuffer dst) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            int n = dataChannel().read(dst, offset + dst.position() - start);
            if (n < 0) {
                break;
            }
        }
        return dst.position() - start;
    }

    /** Renames the segment and its index (already flushed) to {@code target}, durably. */
    void renameTo(Path target) throws IOException {
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
        FileChannel d = data;
        FileChannel i = index;
        data = null;
        index = null;
        closeAll(i, d);
    }

    private static void closeAll(FileChannel... channels) throws IOException {
        IOException failure = null;
        for (FileChannel c : channels) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    static boolean isClosed(IOException e) {
        return e instanceof ClosedChannelException;
    }

    static ByteBuffer littleEndian(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String toString() {
        return dataPath.toString();
    }
}
