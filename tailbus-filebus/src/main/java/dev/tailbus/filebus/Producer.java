package dev.tailbus.filebus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
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
 * between them is bounded, which carries the back-pressure through to the input.
 */
public final class Producer {
    private static final byte[] END = new byte[0];
    private static final int QUEUE_DEPTH = 8;

    private final BusConfig config;

    private Producer(BusConfig config) {
        this.config = config;
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
        Thread reader = Thread.ofPlatform().daemon().name("filebus-input").start(() -> readInput(input, pieces));
        long idleNanos = config.sleepInterval().toNanos();
        try {
            while (true) {
                Object piece = chunker.waitsForPause() ? pieces.poll(idleNanos, TimeUnit.NANOSECONDS) : pieces.take();
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
                    byte[] bytes = (byte[]) piece;
                    chunker.append(bytes, 0, bytes.length);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            reader.interrupt();
        }
    }

    private void readInput(InputStream input, BlockingQueue<Object> pieces) {
        try {
            byte[] buffer = new byte[Math.max(config.blockSize(), 64 * 1024)];
            while (true) {
                int n = input.read(buffer);
                if (n < 0) {
                    pieces.put(END);
                    return;
                }
                if (n > 0) {
                    byte[] piece = new byte[n];
                    System.arraycopy(buffer, 0, piece, 0, n);
                    pieces.put(piece);
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
