package dev.tailbus.filebus;

import dev.tailbus.core.fs.Pipes;
import dev.tailbus.filebus.PhaseTimes.Phase;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The producer: reads its input and puts it on the bus in chunks of at most the block size. A
 * partial chunk is written when input pauses for the sleep interval (unless {@link
 * Chunking#FULL_BLOCKS}). At end of input the rest is written; in lossless mode an empty chunk
 * follows, the end-of-stream marker.
 *
 * <p>Design note: a pump thread reads the input while the calling thread writes chunks, so the
 * next chunk is read while the bus waits for a consumer to take the previous one. The queue
 * between them is bounded, which carries the back-pressure through to the input. The input is
 * read into a few native buffers that go round between the two threads (a file descriptor's
 * input through its channel, without a copy through the heap).
 */
public final class Producer {
    private static final Object END = new Object();
    private static final int QUEUE_DEPTH = 8;
    /**
     * Input is read in pieces of {@link #BLOCKS_PER_PIECE} blocks, at least {@link #MIN_PIECE} and
     * at most {@link #MAX_PIECE} bytes (or one block, if larger): one read and one handover
     * between the threads then serve many chunks.
     */
    private static final int MIN_PIECE = 64 * 1024;
    private static final int MAX_PIECE = 1024 * 1024;
    private static final int BLOCKS_PER_PIECE = 16;

    private final BusConfig config;

    private Producer(BusConfig config) {
        this.config = config;
    }

    /**
     * Gives standard input, if it is a pipe, a 1 MiB buffer (or as much as the system allows),
     * so that the program feeding the producer can run ahead of it.
     */
    public static void enlargeStdinPipe() {
        Pipes.grow(0, Consumer.PIPE_BUFFER);
    }

    /** Puts all of {@code input} on the bus described by {@code config}; returns at end of input. */
    public static void run(BusConfig config, InputStream input) throws IOException {
        try (ChunkWriter writer = ChunkWriter.open(config)) {
            Log.info(() -> "producing onto " + config.paths().data() + (config.lossless() ? " (lossless)" : " (lossy)"));
            new Producer(config).pump(input, writer);
        }
    }

    private void pump(InputStream input, ChunkWriter writer) throws IOException {
        Chunker chunker = new Chunker(config.blockSize(), config.chunking(), writer::write);
        BlockingQueue<Object> pieces = new ArrayBlockingQueue<>(QUEUE_DEPTH);
        // One more buffer than the queue holds, and one for the piece being cut: the pump never
        // waits for a free buffer while the queue has room.
        BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(QUEUE_DEPTH + 2);
        int pieceSize = Math.clamp((long) config.blockSize() * BLOCKS_PER_PIECE, MIN_PIECE, Math.max(MAX_PIECE, config.blockSize()));
        for (int i = 0; i < QUEUE_DEPTH + 2; i++) {
            free.add(ByteBuffer.allocateDirect(pieceSize));
        }
        ReadableByteChannel channel = input instanceof FileInputStream file ? file.getChannel() : Channels.newChannel(input);
        Thread reader = Thread.ofPlatform().daemon().name("filebus-input").start(() -> readInput(channel, pieces, free));
        long idleNanos = config.sleepInterval().toNanos();
        try {
            while (true) {
                long t = PhaseTimes.start();
                Object piece = chunker.waitsForPause() ? pieces.poll(idleNanos, TimeUnit.NANOSECONDS) : pieces.take();
                PhaseTimes.end(Phase.INPUT_WAIT, t);
                if (piece == null) {
                    chunker.pause();
                } else if (piece instanceof IOException failure) {
                    throw failure;
                } else if (piece == END) {
                    chunker.end();
                    if (config.lossless()) {
                        writer.write(ByteBuffer.allocate(0));
                    }
                    return;
                } else {
                    ByteBuffer bytes = (ByteBuffer) piece;
                    chunker.append(bytes);
                    free.add(bytes.clear());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            reader.interrupt();
        }
    }

    private void readInput(ReadableByteChannel input, BlockingQueue<Object> pieces, BlockingQueue<ByteBuffer> free) {
        try {
            while (true) {
                ByteBuffer buffer = free.take();
                long t = PhaseTimes.start();
                int n = input.read(buffer);
                t = PhaseTimes.end(Phase.STDIN_READ, t);
                if (n < 0) {
                    pieces.put(END);
                    return;
                }
                if (n > 0) {
                    pieces.put(buffer.flip());
                    PhaseTimes.end(Phase.QUEUE_FULL, t);
                } else {
                    free.add(buffer);
                }
            }
        } catch (IOException e) {
            try {
                // put, not offer: the failure must reach the writing thread even when the queue
                // is full because a lossless bus is waiting for a consumer.
                pieces.put(e);
            } catch (InterruptedException ended) {
                // The producer is ending anyway.
            }
        } catch (InterruptedException e) {
            // The producer is ending.
        }
    }
}
