package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Appends records to a segment and entries to its index through two buffers, written to the
 * operating system once per batch ({@link #flush()}), so that appending costs no system call
 * per event.
 *
 * <p>A write that fails leaves the file and the buffers in an unknown state (part of a buffer
 * may be on disk): the writer is then broken, and every later {@link #append} or {@link #flush}
 * fails without writing, so that nothing is ever written after a gap or from a half-written buffer.
 * Reopening the store recovers the file.
 *
 * <p>Called only under the log's lock.
 */
final class SegmentWriter {
    private static final int DATA_BUFFER = 1 << 20;
    private static final int INDEX_BUFFER = IndexEntry.SIZE * 8192;

    private final Segment segment;
    private final ByteBuffer dataBuffer = Segment.littleEndian(DATA_BUFFER);
    private final ByteBuffer indexBuffer = Segment.littleEndian(INDEX_BUFFER);
    private final CRC32C crc = new CRC32C();
    private long dataWritten;
    private long indexWritten;
    /** The first write failure, after which the writer writes nothing more. */
    private IOException broken;

    SegmentWriter(Segment segment) {
        this.segment = segment;
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
        if (dataBuffer.remaining() < 4 + length) {
            flushData();
        }
        if (dataBuffer.remaining() < 4 + length) {
            ByteBuffer big = Segment.littleEndian(4 + length);
            big.putInt(length).put(stored).flip();
            write(segment.dataChannel(), big, dataWritten);
            dataWritten += 4 + length;
        } else {
            dataBuffer.putInt(length).put(stored);
        }
        segment.dataEnd = offset + 4 + length;
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
        int previous = topics.record(id, entry, position, time, length);
        segment.noteEntry(position, time);
        if (indexBuffer.remaining() < IndexEntry.SIZE) {
            flushIndex();
        }
        IndexEntry.put(indexBuffer, position, offset, time, segment.maxTime, id, previous, length, checksum);
        return added;
    }

    /** Notes that records up to {@code end} are already in the file (recovery). */
    void skipDataTo(long end) {
        segment.dataEnd = end;
        dataWritten = end;
    }

    /** Writes both buffers to the operating system: data first, then the index entries. */
    void flush() throws IOException {
        checkNotBroken();
        flushData();
        flushIndex();
    }

    private void flushData() throws IOException {
        if (dataBuffer.position() > 0) {
            dataBuffer.flip();
            int n = dataBuffer.remaining();
            write(segment.dataChannel(), dataBuffer, dataWritten);
            dataWritten += n;
            dataBuffer.clear();
        }
    }

    private void flushIndex() throws IOException {
        if (indexBuffer.position() > 0) {
            indexBuffer.flip();
            int n = indexBuffer.remaining();
            write(segment.indexChannel(), indexBuffer, indexWritten);
            indexWritten += n;
            indexBuffer.clear();
        }
    }

    private void checkNotBroken() throws IOException {
        if (broken != null) {
            throw new IOException("an earlier write to " + segment.dataPath() + " failed: "
                    + (broken.getMessage() == null ? broken.getClass().getSimpleName() : broken.getMessage()), broken);
        }
    }

    private void write(FileChannel channel, ByteBuffer buffer, long at) throws IOException {
        try {
            long position = at;
            while (buffer.hasRemaining()) {
                position += channel.write(buffer, position);
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
