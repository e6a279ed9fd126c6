package dev.tailbus.filebus;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Cuts a producer's input into chunks by the rules of a {@link Chunking}: never more than the
 * block size; cut when full, when input pauses (bytes: all pending; lines: up to the last
 * newline; full blocks: never), and at the end (everything left).
 *
 * <p>Pure logic, no I/O of its own: a chunk handed to the sink is only valid during the call. The
 * pending bytes live in native memory, so that a chunk reaches the file system without another
 * copy; a whole block of input that starts a chunk (byte chunking) goes to the sink as a slice of
 * the input, without any copy. Called from one thread.
 */
final class Chunker {
    /** Takes each chunk as it is cut. */
    @FunctionalInterface
    interface Sink {
        void accept(ByteBuffer chunk) throws IOException;
    }

    private final Chunking chunking;
    private final Sink sink;
    private final ByteBuffer pending;
    private final MemorySegment pendingMemory;

    Chunker(int blockSize, Chunking chunking, Sink sink) {
        this.chunking = chunking;
        this.sink = sink;
        this.pending = ByteBuffer.allocateDirect(blockSize);
        this.pendingMemory = MemorySegment.ofBuffer(pending);
    }

    /** Whether a pause in the input could cut a chunk now. */
    boolean waitsForPause() {
        return pending.position() > 0 && chunking != Chunking.FULL_BLOCKS;
    }

    /** Adds input, cutting every chunk that fills up. */
    void append(byte[] piece, int offset, int length) throws IOException {
        append(ByteBuffer.wrap(piece, offset, length));
    }

    /** Adds the bytes from {@code piece}'s position to its limit, cutting every chunk that fills up. */
    void append(ByteBuffer piece) throws IOException {
        ByteBuffer rest = piece.duplicate();
        int blockSize = pending.capacity();
        while (rest.hasRemaining()) {
            if (pending.position() == 0 && rest.remaining() >= blockSize && chunking != Chunking.LINES) {
                // A whole block of input with nothing pending before it is a chunk as it lies:
                // no copy.
                sink.accept(rest.slice(rest.position(), blockSize));
                rest.position(rest.position() + blockSize);
                continue;
            }
            int n = Math.min(pending.remaining(), rest.remaining());
            pending.put(pending.position(), rest, rest.position(), n);
            pending.position(pending.position() + n);
            rest.position(rest.position() + n);
            if (!pending.hasRemaining()) {
                cut(true);
            }
        }
    }

    /** The input paused for the sleep interval. */
    void pause() throws IOException {
        if (waitsForPause()) {
            cut(false);
        }
    }

    /** The input ended: cuts everything pending. */
    void end() throws IOException {
        while (pending.position() > 0) {
            cut(true);
        }
    }

    /**
     * Hands the sink a chunk of the pending bytes: all of them, or for {@link Chunking#LINES} those
     * up to the last newline ({@code full} lets a newline-less block go whole).
     */
    private void cut(boolean full) throws IOException {
        int length = pending.position();
        if (chunking == Chunking.LINES) {
            int lastNewline = length - 1;
            while (lastNewline >= 0 && pending.get(lastNewline) != '\n') {
                lastNewline--;
            }
            if (lastNewline >= 0) {
                length = lastNewline + 1;
            } else if (!full) {
                return;
            }
        }
        sink.accept(pending.duplicate().position(0).limit(length));
        int rest = pending.position() - length;
        if (rest > 0) {
            MemorySegment.copy(pendingMemory, length, pendingMemory, 0, rest);
        }
        pending.clear().position(rest);
    }
}
