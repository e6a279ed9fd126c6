package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Reads the records of a segment file in order, through a buffer, reporting a torn tail (a length
 * prefix or a record cut short by the end of the file) instead of failing.
 *
 * <p>Not thread-safe.
 */
final class RecordScanner {
    /** What {@link #next()} found. */
    enum Status { RECORD, END, TORN }

    private final FileChannel channel;
    private final long end;
    private ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long bufferStart;
    private long next;
    /** The file offset of the record's length prefix. */
    long offset;
    /** The record's length (without its prefix); for TORN, the claimed length or -1. */
    long length;

    RecordScanner(FileChannel channel, long from, long end) {
        this.channel = channel;
        this.end = end;
        this.next = from;
        this.bufferStart = from;
        buffer.limit(0);
    }

    /** Advances to the next record. */
    Status next() throws IOException {
        offset = next;
        if (offset >= end) {
            length = -1;
            return Status.END;
        }
        if (end - offset < 4) {
            length = -1;
            return Status.TORN;
        }
        if (!ensure(offset, 4)) {
            length = -1;
            return Status.TORN;
        }
        length = buffer.getInt((int) (offset - bufferStart)) & 0xFFFFFFFFL;
        if (length > end - offset - 4 || length > Integer.MAX_VALUE - 8) {
            return Status.TORN;
        }
        if (!ensure(offset, (int) (4 + length))) {
            return Status.TORN;
        }
        next = offset + 4 + length;
        return Status.RECORD;
    }

    /** The buffer holding the current record's bytes at {@link #bodyOffset()}. */
    byte[] body() {
        return buffer.array();
    }

    int bodyOffset() {
        return (int) (offset - bufferStart) + 4;
    }

    /** The offset after the last whole record returned. */
    long nextOffset() {
        return next;
    }

    private boolean ensure(long at, int count) throws IOException {
        long have = bufferStart + buffer.limit();
        if (at >= bufferStart && at + count <= have) {
            return true;
        }
        if (count > buffer.capacity()) {
            buffer = ByteBuffer.allocate(Math.max(count, buffer.capacity() * 2)).order(ByteOrder.LITTLE_ENDIAN);
        }
        buffer.clear();
        bufferStart = at;
        int want = (int) Math.min(buffer.capacity(), end - at);
        buffer.limit(want);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, bufferStart + buffer.position());
            if (n < 0) {
                break;
            }
        }
        buffer.flip();
        return buffer.limit() >= count;
    }
}
