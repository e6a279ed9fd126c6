package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Appends records to a segment and entries to its index through two buffers borrowed from the
 * log's {@link WriteBuffers}, written to the operating system once per batch ({@link #flush()})
 * and given back, so that appending costs no system call per event and an idle writer holds no
 * buffer. A writer remembers how large its buffers were last time and asks for that much again.
 *
 * <p>A write that fails leaves the file and the buffers in an unknown state (part of a buffer
 * may be on disk): the writer is then broken, and every later {@link #append} or {@link #flush}
 * fails without writing, so that nothing is ever written after a gap or from a half-written buffer.
 * Reopening the store recovers the file.
 *
 * <p>Called only under the log's lock.
 */
final class SegmentWriter {
    private final Segment segment;
    private final WriteBuffers buffers;
    private ByteBuffer dataBuffer;
    private ByteBuffer indexBuffer;
    /** The capacity of the last data buffer, a hint for the next batch. */
    private int dataHint = WriteBuffers.MIN;
    private int indexHint = WriteBuffers.MIN;
    private long dataWritten;
    private long indexWritten;
    /** The first write failure, after which the writer writes nothing more. */
    private IOException broken;

    /** The index file does not exist yet: its header goes first, before the segment's first record. */
    private boolean fresh;

    SegmentWriter(Segment segment, WriteBuffers buffers) {
        this(segment, buffers, false);
    }

    /** A writer; {@code fresh}: the segment's files are made by its first write. */
    SegmentWriter(Segment segment, WriteBuffers buffers, boolean fresh) {
        this.fresh = fresh;
        this.segment = segment;
        this.buffers = buffers;
        this.dataWritten = segment.dataEnd;
        this.indexWritten = IndexEntry.at(segment.entries);
    }

    Segment segment() {
        return segment;
    }

    /**
     * Buffers one record (the stored bytes, position field included) and its index entry;
     * returns whether the topic is new to the segment.
     */
    boolean append(String topic, long position, long time, byte[] stored) throws IOException {
        checkNotBroken();
        int length = stored.length;
        long offset = segment.dataEnd;
        if (dataBuffer == null) {
            dataBuffer = buffers.take(Math.max(dataHint, 4 + length));
        }
        while (dataBuffer.remaining() < 4 + length && dataBuffer.capacity() < WriteBuffers.MAX) {
            dataBuffer = buffers.grow(dataBuffer);
        }
        if (dataBuffer.remaining() < 4 + length) {
            flushData();
            dataBuffer = buffers.take(WriteBuffers.MAX);
        }
        if (dataBuffer.remaining() < 4 + length) {
            ByteBuffer big = Segment.littleEndian(4 + length);
            big.putInt(length).put(stored).flip();
            writeData(big);
        } else {
            dataBuffer.putInt(length).put(stored);
        }
        segment.dataEnd = offset + 4 + length;
        CRC32C crc = buffers.crc();
        crc.reset();
        crc.update(stored, 0, length);
        return index(topic, position, time, offset, length, (int) crc.getValue());
    }

    /** Buffers the index entry of a record (recovery: already in the file); true if the topic is new. */
    boolean index(String topic, long position, long time, long offset, int length, int checksum) throws IOException {
        TopicTable topics = segment.topics;
        int id = topics.idOf(topic);
        boolean added = id < 0;
        if (added) {
            id = topics.add(topic);
        }
        int entry = Math.toIntExact(segment.entries);
        buffers.unpublished().note(segment, id, entry, length);
        int previous = topics.record(id, entry, position, time, length);
        segment.noteEntry(position, time);
        if (indexBuffer == null) {
            indexBuffer = buffers.take(indexHint);
        }
        if (indexBuffer.remaining() < IndexEntry.SIZE) {
            if (indexBuffer.capacity() < WriteBuffers.MAX) {
                indexBuffer = buffers.grow(indexBuffer);
            } else {
                flushIndex();
                indexBuffer = buffers.take(WriteBuffers.MAX);
            }
        }
        IndexEntry.put(indexBuffer, position, offset, time, segment.maxTime, id, previous, length, checksum);
        return added;
    }

    /** Notes that records up to {@code end} are already in the file (recovery). */
    void skipDataTo(long end) {
        segment.dataEnd = end;
        dataWritten = end;
    }

    /** Writes both buffers to the operating system (data first, then the index) and gives them back. */
    void flush() throws IOException {
        checkNotBroken();
        if (dataBuffer == null && indexBuffer == null) {
            return;
        }
        flushData();
        flushIndex();
        segment.noteUnforced();
        if (dataBuffer != null) {
            dataHint = dataBuffer.capacity();
            buffers.give(dataBuffer);
            dataBuffer = null;
        }
        if (indexBuffer != null) {
            indexHint = indexBuffer.capacity();
            buffers.give(indexBuffer);
            indexBuffer = null;
        }
    }

    private void flushData() throws IOException {
        if (dataBuffer != null && dataBuffer.position() > 0) {
            dataBuffer.flip();
            writeData(dataBuffer);
            dataBuffer.clear();
        }
    }

    private void writeData(ByteBuffer buffer) throws IOException {
        // a new segment's index is made before its data file: a folder's changes reach the disk in
        // the order they were made, so after a power cut no data file lacks its index, by which a
        // store file is told from a foreign .pb file (one whose first record may be torn)
        writeHeaderIfFresh();
        int n = buffer.remaining();
        write(false, buffer, dataWritten);
        dataWritten += n;
    }

    private void writeHeaderIfFresh() throws IOException {
        if (fresh) {
            write(true, IndexEntry.header(), 0);
            fresh = false;
        }
    }

    private void flushIndex() throws IOException {
        if (indexBuffer != null && indexBuffer.position() > 0) {
            writeHeaderIfFresh();
            indexBuffer.flip();
            int n = indexBuffer.remaining();
            write(true, indexBuffer, indexWritten);
            indexWritten += n;
            indexBuffer.clear();
        }
    }

    /** Gives the buffers back without writing them (the writer is done with, e.g. after a failure). */
    void discard() {
        buffers.give(dataBuffer);
        buffers.give(indexBuffer);
        dataBuffer = null;
        indexBuffer = null;
    }

    private void checkNotBroken() throws IOException {
        if (broken != null) {
            throw new IOException("an earlier write to " + segment.dataPath() + " failed: "
                    + (broken.getMessage() == null ? broken.getClass().getSimpleName() : broken.getMessage()), broken);
        }
    }

    private void write(boolean toIndex, ByteBuffer buffer, long at) throws IOException {
        try {
            FileChannel channel = segment.pinWriter(toIndex);
            try {
                long position = at;
                while (buffer.hasRemaining()) {
                    position += channel.write(buffer, position);
                }
            } finally {
                segment.unpinWriter(toIndex);
            }
        } catch (IOException e) {
            broken = e;
            throw e;
        } catch (RuntimeException e) {
            broken = new IOException(e.toString(), e);
            throw e;
        }
    }
}
