package dev.tailbus.core.log;

import dev.tailbus.core.fs.Descriptors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

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
 * <p>Design note: readers never use the writer's channels, and no channel stays open for the
 * segment's sake: each of its four files (data and index, for the writer and for readers) is a
 * {@link OpenFiles.Handle} in the log's bounded cache of open files, opened on use and closed
 * when others are used more recently. A reader thread that is interrupted makes the JDK close
 * the channel it reads through ({@link java.nio.channels.ClosedByInterruptException}), which must
 * not stop the writer; other readers then simply read through a fresh channel. A read that finds
 * its channel closed (evicted, or the segment deleted meanwhile) fails as closed, and the reader
 * retries or, once the segment is {@link #isGone() gone}, moves on.
 *
 * <p>Threading: {@link #count()}, {@link #firstPosition()} and the read methods are safe on any
 * thread; everything else is called under the log's lock. Readers see only the first
 * {@link #count()} entries, which are on the operating system's side (and forced, with the
 * {@code BATCH} flush policy) before count is raised.
 */
final class Segment {
    private volatile Path dataPath;
    private final OpenFiles files;
    private final OpenFiles.Handle data;
    private final OpenFiles.Handle index;
    private final OpenFiles.Handle readData;
    private final OpenFiles.Handle readIndex;
    private volatile boolean closed;
    /** Data written to the OS since the data was last forced. */
    private volatile boolean unforced;
    /**
     * Index entries written to the OS since the index was last forced: apart from the data's flag,
     * since the {@code BATCH} policy and the interval flusher force the data alone.
     */
    private volatile boolean indexUnforced;
    final TopicTable topics = new TopicTable();

    private volatile long count;
    private volatile long firstPosition = Long.MAX_VALUE;
    private volatile long visibleLastPosition;
    /** Entries in the index (written or buffered): under the lock. */
    long entries;
    /** Bytes of the segment (written or buffered): under the lock. */
    long dataEnd;
    long lastPosition;
    long firstTime = Long.MAX_VALUE;
    long lastTime = Long.MIN_VALUE;
    long maxTime = Long.MIN_VALUE;
    /** The figures above as of the last {@link #publish()}, for {@link #rewind()}. */
    private long visibleDataEnd;
    private long visibleFirstTime = Long.MAX_VALUE;
    private long visibleLastTime = Long.MIN_VALUE;
    private long visibleMaxTime = Long.MIN_VALUE;

    private Segment(Path dataPath, OpenFiles files) {
        this.dataPath = dataPath;
        this.files = files;
        this.data = new OpenFiles.Handle(this::dataPath, true);
        this.index = new OpenFiles.Handle(this::indexPath, true);
        this.readData = new OpenFiles.Handle(this::dataPath, false);
        this.readIndex = new OpenFiles.Handle(this::indexPath, false);
    }

    /**
     * The segment at {@code dataPath}; nothing is opened until used. The writer's channels create
     * the files when missing.
     */
    static Segment open(Path dataPath, OpenFiles files) {
        return new Segment(dataPath, files);
    }

    Path dataPath() {
        return dataPath;
    }

    /** The log's open-file cache this segment's files live in. */
    OpenFiles files() {
        return files;
    }

    Path indexPath() {
        return SegmentFiles.index(dataPath);
    }

    /**
     * Cuts the data or index file back to {@code length} and forces the cut, so that records an
     * append was refused for cannot come back after a power cut. With no descriptor to spare (the
     * group failed for want of them, and the cache may have closed this file meanwhile) the file
     * is cut by its name, which needs none; that cut cannot be forced now, so the file is marked
     * unforced, and the next force (the interval flusher, a rotation, the close) forces it.
     */
    private void cut(boolean ofIndex, Path path, long length) throws IOException {
        FileChannel channel;
        try {
            channel = pinWriter(ofIndex);
        } catch (IOException e) {
            if (!Descriptors.isShort(e)) {
                throw e;
            }
            Descriptors.truncate(path, length);
            if (ofIndex) {
                indexUnforced = true;
            } else {
                unforced = true;
            }
            return;
        }
        try {
            channel.truncate(length);
            channel.force(false);
        } finally {
            unpinWriter(ofIndex);
        }
    }

    /** Pins the writer's data or index channel (opening it if needed) until {@link #unpinWriter}. */
    FileChannel pinWriter(boolean ofIndex) throws IOException {
        return files.acquire(ofIndex ? index : data);
    }

    void unpinWriter(boolean ofIndex) {
        files.release(ofIndex ? index : data);
    }

    /**
     * The writer's data channel (recovery and tests, while nothing else evicts it); fails as
     * closed once closed for good.
     */
    FileChannel dataChannel() throws IOException {
        FileChannel c = files.acquire(data);
        files.release(data);
        return c;
    }

    /** The writer's index channel, as {@link #dataChannel()}. */
    FileChannel indexChannel() throws IOException {
        FileChannel c = files.acquire(index);
        files.release(index);
        return c;
    }

    /**
     * Closes every file of the segment (the next use opens them again), e.g. once it is rotated
     * or recovered.
     */
    void release() throws IOException {
        closeHandles(false);
    }

    /**
     * Closes the writer's files for good (a rotated segment is written no more); readers go on
     * reading through their own, which the open-file cache closes in its time.
     */
    void closeWriter() throws IOException {
        files.close(index, true);
        files.close(data, true);
    }

    /** Closes the readers' channels (the next read opens them again). */
    void releaseReaders() throws IOException {
        files.close(readIndex, false);
        files.close(readData, false);
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
        visibleLastPosition = lastPosition;
        visibleDataEnd = dataEnd;
        visibleFirstTime = firstTime;
        visibleLastTime = lastTime;
        visibleMaxTime = maxTime;
        count = entries;
    }

    /**
     * Takes back everything written or buffered since the last {@link #publish()}: the files are
     * cut to what readers see (which needs no room on the disk) and the figures in memory go back
     * to theirs; the topic table is taken back by {@link UnpublishedEntries}. Under the lock.
     * Returns whether the index is now empty, without its header (its next writer writes one).
     */
    boolean rewind() throws IOException {
        return rewind(false);
    }

    /**
     * As {@link #rewind()}; with {@code keepData} the data file is left as it is (records recovery
     * could not index for want of room stay for the next try).
     */
    boolean rewind(boolean keepData) throws IOException {
        entries = count;
        dataEnd = visibleDataEnd;
        lastPosition = visibleLastPosition;
        firstTime = visibleFirstTime;
        lastTime = visibleLastTime;
        maxTime = visibleMaxTime;
        if (entries == 0) {
            firstPosition = Long.MAX_VALUE;
        }
        boolean headerless = false;
        // a file is opened only when it has bytes to cut: a group that failed for want of a
        // descriptor must not need one to take back what it never wrote
        if (!keepData && Files.exists(dataPath) && Files.size(dataPath) > dataEnd) {
            cut(false, dataPath, dataEnd);
        }
        if (Files.exists(indexPath())) {
            long size = Files.size(indexPath());
            headerless = entries == 0 && size < IndexEntry.HEADER;
            long keep = headerless ? 0 : IndexEntry.at(entries);
            if (size > keep) {
                cut(true, indexPath(), keep);
            }
        } else if (entries > 0) {
            throw new IOException("index " + indexPath() + " is missing");
        } else {
            headerless = true;
        }
        return headerless;
    }

    /**
     * Readies the index for entries after the {@link #entries} loaded (the rest cut); returns
     * whether it has no valid header (cut to nothing: its next writer writes one).
     */
    boolean readyIndexForTail() throws IOException {
        FileChannel index = pinWriter(true);
        try {
            boolean headed = false;
            if (index.size() >= IndexEntry.HEADER) {
                ByteBuffer header = littleEndian(IndexEntry.HEADER);
                index.read(header, 0);
                header.flip();
                headed = IndexEntry.validHeader(header);
            }
            index.truncate(headed ? IndexEntry.at(entries) : 0);
            return !headed;
        } finally {
            unpinWriter(true);
        }
    }

    /** The position of the last visible entry (0 when none). */
    long visibleLastPosition() {
        return visibleLastPosition;
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
        FileChannel c = files.acquire(readIndex);
        try {
            while (dst.hasRemaining()) {
                if (c.read(dst, at + dst.position() - start) < 0) {
                    break;
                }
            }
        } finally {
            files.release(readIndex);
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
        FileChannel c = files.acquire(readData);
        try {
            while (dst.hasRemaining()) {
                if (c.read(dst, offset + dst.position() - start) < 0) {
                    break;
                }
            }
        } finally {
            files.release(readData);
        }
        return dst.position() - start;
    }

    /** Renames the segment and its index (already flushed) to {@code target}, durably. */
    synchronized void renameTo(Path target) throws IOException {
        Path oldIndex = indexPath();
        FileLayer layer = files.layer();
        layer.move(oldIndex, SegmentFiles.index(target));
        try {
            layer.move(dataPath, target);
        } catch (IOException e) {
            try {
                layer.move(SegmentFiles.index(target), oldIndex); // both under their old names again
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        dataPath = target;
        layer.forceFolder(target.toAbsolutePath().getParent());
    }

    /** Notes that data and index bytes were written to the OS since the last force. */
    void noteUnforced() {
        unforced = true;
        indexUnforced = true;
    }

    /** Whether data bytes were written since the data was last forced. */
    boolean unforced() {
        return unforced;
    }

    /**
     * Forces what was written to stable storage: the data, and the index too when
     * {@code withIndex}. Forces neither file when nothing was written to it since its last force.
     */
    void force(boolean withIndex) throws IOException {
        boolean forceData = unforced;
        boolean forceIndex = withIndex && indexUnforced;
        unforced = false;
        if (forceIndex) {
            indexUnforced = false;
        }
        try {
            if (forceData) {
                forceWriter(false);
            }
            if (forceIndex) {
                forceWriter(true);
            }
        } catch (IOException | RuntimeException e) {
            unforced |= forceData;
            indexUnforced |= forceIndex;
            throw e;
        }
    }

    private void forceWriter(boolean ofIndex) throws IOException {
        FileChannel c = pinWriter(ofIndex);
        try {
            c.force(false);
        } finally {
            unpinWriter(ofIndex);
        }
    }

    /** Deletes the segment's files, durably. */
    void delete() throws IOException {
        // closed first, so that a reader fails as "closed" (and moves on), never as "missing file"
        close();
        Path oldData = dataPath;
        Files.deleteIfExists(SegmentFiles.index(oldData));
        Files.deleteIfExists(oldData);
        files.layer().forceFolder(oldData.toAbsolutePath().getParent());
    }

    /** Whether the segment was closed for good (deleted, or the log closed), not just released. */
    boolean isGone() {
        return closed;
    }

    /** Closes every file for good (reads then fail as closed). Idempotent. */
    void close() throws IOException {
        closed = true;
        closeHandles(true);
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

    /** Closes this segment's four file handles (see {@link OpenFiles#close}), every one even if one fails. */
    private void closeHandles(boolean forGood) throws IOException {
        IOException failure = null;
        for (OpenFiles.Handle h : new OpenFiles.Handle[] {readIndex, readData, index, data}) {
            try {
                files.close(h, forGood);
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
}
