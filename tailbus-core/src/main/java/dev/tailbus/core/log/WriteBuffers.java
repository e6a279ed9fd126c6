package dev.tailbus.core.log;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.zip.CRC32C;

/**
 * The write buffers shared by every {@link SegmentWriter} of a log: a writer borrows one for its
 * records and one for its index entries while an append batch fills them, and gives them back
 * once they are written to the operating system. So the memory for writing follows the size of
 * a batch, not the number of partitions: an idle partition holds no buffer.
 *
 * <p>Buffers come in powers of two from {@value #MIN} bytes to {@value #MAX}; a writer that
 * outgrows its buffer within a batch moves to one twice as large (copying what it holds), up to
 * the largest, beyond which it writes and starts again. Freed buffers are kept for the next
 * batch, up to {@value #KEPT} bytes in all.
 *
 * <p>Threading: used only under the log's append lock.
 */
final class WriteBuffers {
    static final int MIN = 512;
    static final int MAX = 1 << 20;
    static final long KEPT = 8L << 20;
    private static final int CLASSES = Integer.numberOfTrailingZeros(MAX) - Integer.numberOfTrailingZeros(MIN) + 1;

    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[CLASSES];
    private long kept;
    private final CRC32C crc = new CRC32C();
    private final UnpublishedEntries unpublished = new UnpublishedEntries();

    WriteBuffers() {
        for (int i = 0; i < CLASSES; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** A cleared little-endian buffer of at least {@code min} bytes (at most {@value #MAX}). */
    ByteBuffer take(int min) {
        int size = sizeFor(min);
        ArrayDeque<ByteBuffer> list = free[classOf(size)];
        ByteBuffer b = list.pollLast();
        if (b == null) {
            return Segment.littleEndian(size);
        }
        kept -= size;
        b.clear();
        return b;
    }

    /** Gives a buffer back (it may be kept for the next taker). */
    void give(ByteBuffer b) {
        if (b == null || kept + b.capacity() > KEPT) {
            return;
        }
        kept += b.capacity();
        free[classOf(b.capacity())].addLast(b);
    }

    /** A buffer twice as large as {@code full} holding its bytes; {@code full} is given back. */
    ByteBuffer grow(ByteBuffer full) {
        ByteBuffer bigger = take(full.capacity() * 2);
        full.flip();
        bigger.put(full);
        give(full);
        return bigger;
    }

    /** The checksum of records, shared as the buffers are. */
    CRC32C crc() {
        return crc;
    }

    /** The notes that let a write group be taken back in memory, shared as the buffers are. */
    UnpublishedEntries unpublished() {
        return unpublished;
    }

    static int sizeFor(int min) {
        if (min <= MIN) {
            return MIN;
        }
        return Math.min(MAX, Integer.highestOneBit(min - 1) << 1);
    }

    private static int classOf(int size) {
        return Integer.numberOfTrailingZeros(size) - Integer.numberOfTrailingZeros(MIN);
    }
}
