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
 * <p>Threading: {@link #count()}, {@link #firstPosition()} and the read methods are safe on any
 * thread; everything else is called under the log's lock. Readers see only the first
 * {@link #count()} entries, which are on the operating system's side (and forced, with the
 * {@code BATCH} flush policy) before count is raised.
 */
final class Segment {
    private volatile Path dataPath;
    private final FileChannel data;
    private final FileChannel index;
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

    FileChannel dataChannel() {
        return data;
    }

    FileChannel indexChannel() {
        return index;
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
            int n = index.read(dst, at + dst.position());
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
            if (index.read(scratch8, at + scratch8.position()) < 0) {
                throw new IOException("index " + indexPath() + " ends before entry " + entry);
            }
        }
        return scratch8.getLong(0);
    }

    /** Reads data bytes at {@code offset} into {@code dst}; returns the bytes read. */
    int readData(long offset, ByteBuffer dst) throws IOException {
        int start = dst.position();
        while (dst.hasRemaining()) {
            int n = data.read(dst, offset + dst.position() - start);
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
        data.force(false);
    }

    /** Deletes the segment's files, durably. */
    void delete() throws IOException {
        Path oldData = dataPath;
        Files.deleteIfExists(SegmentFiles.index(oldData));
        Files.deleteIfExists(oldData);
        Durable.forceFolder(oldData.toAbsolutePath().getParent());
        close();
    }

    /** Closes both files. Idempotent. */
    void close() throws IOException {
        IOException failure = null;
        for (FileChannel c : new FileChannel[] {index, data}) {
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
