package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.Hangup;
import dev.tailbus.core.fs.Pipes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The consumer: writes each chunk it gets from the bus to its output. Lossy, it delivers the
 * current chunk at start (if any) and every new one after, and never ends by itself; lossless, it
 * takes chunks (each goes to exactly one consumer) until it takes the empty end-of-stream chunk.
 */
public final class Consumer {
    /** Exit status when the output closed, as a shell reports a process killed by SIGPIPE. */
    public static final int OUTPUT_CLOSED = 128 + 13;
    /** The pipe buffer asked for on standard output: the largest a user gets by default. */
    static final int PIPE_BUFFER = 1024 * 1024;

    private Consumer() {
    }

    /** Thrown through the bus code when the output cannot take more. */
    private static final class OutputFailed extends IOException {
        OutputFailed(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The watch that {@link #exitWhenStdoutCloses} started; {@link #run} ends it when it returns. */
    private static final AtomicReference<Hangup> STDOUT_WATCH = new AtomicReference<>();

    /**
     * Ends the process with {@link #OUTPUT_CLOSED} as soon as the reader of standard output goes
     * away, even while no chunk comes to write: {@code consumer | head -c 10} then ends when head
     * does. A chunk being taken when that happens stays on the bus (lossless mode deletes a chunk
     * only after writing it). The watch ends when {@link #run} returns, so that the reader sees
     * end of file as soon as the output is closed, and the JVM exits without waiting for it.
     */
    public static void exitWhenStdoutCloses() throws IOException {
        Hangup watch = Hangup.of(1);
        Hangup previous = STDOUT_WATCH.getAndSet(watch);
        if (previous != null) {
            previous.close();
        }
        Thread.ofPlatform().daemon().name("filebus-stdout-watch").start(() -> {
            if (watch.await()) {
                Runtime.getRuntime().halt(OUTPUT_CLOSED);
            }
        });
    }

    /**
     * Gives standard output, if it is a pipe, a 1 MiB buffer (or as much as the system allows),
     * so that a chunk does not wait for the reader to have taken the previous one.
     */
    public static void enlargeStdoutPipe() {
        Pipes.grow(1, PIPE_BUFFER);
    }

    /** What is done to the output once the first chunk went out (or at once, if none was there). */
    @FunctionalInterface
    public interface OutputSetup {
        /** Does nothing: an output that needs no setting up. */
        OutputSetup NONE = () -> {
        };

        void run() throws IOException;
    }

    /** Runs until end of stream (returns 0) or until the output closes (returns 141). */
    public static int run(BusConfig config, WritableByteChannel output) throws IOException {
        return run(config, output, OutputSetup.NONE);
    }

    /**
     * As {@link #run(BusConfig, WritableByteChannel)}, running {@code setup} (such as
     * {@link #exitWhenStdoutCloses} and {@link #enlargeStdoutPipe}) after a lossy consumer wrote
     * the chunk it found at start: that chunk goes out before the process binds any libc call.
     */
    public static int run(BusConfig config, WritableByteChannel output, OutputSetup setup) throws IOException {
        try {
            return consume(config, output, setup);
        } finally {
            Hangup watch = STDOUT_WATCH.getAndSet(null);
            if (watch != null) {
                watch.close();
            }
        }
    }

    private static int consume(BusConfig config, WritableByteChannel output, OutputSetup setup) throws IOException {
        ChunkReader.FirstChunk first = null;
        try {
            if (!config.lossless()) {
                first = ChunkReader.readFirst(config);
                if (first != null) {
                    write(output, first.bytes());
                }
            }
            setup.run();
        } catch (OutputFailed e) {
            return outputFailed(config, e);
        }
        try (ChunkReader reader = ChunkReader.open(config, first)) {
            Log.info(() -> "consuming from " + config.paths().data() + (config.lossless() ? " (lossless)" : " (lossy)"));
            if (config.lossless()) {
                while (reader.take(chunk -> write(output, chunk)) > 0) {
                    // Each chunk went to the output before it was deleted.
                }
                Log.info(() -> "end of stream");
                return 0;
            }
            // at start, F is delivered unless the lock-free read above already did
            boolean changed = first == null;
            while (true) {
                ByteBuffer chunk = reader.readIfNew(changed);
                if (chunk != null) {
                    write(output, chunk);
                }
                changed = reader.watcher().await();
            }
        } catch (OutputFailed e) {
            return outputFailed(config, e);
        }
    }

    private static int outputFailed(BusConfig config, OutputFailed e) {
        if (isBrokenPipe(e)) {
            return OUTPUT_CLOSED;
        }
        throw new FilebusException(Kind.IO, config.paths().data(), "cannot write to the output: " + e.getMessage(), e);
    }

    private static void write(WritableByteChannel output, ByteBuffer chunk) throws OutputFailed {
        ByteBuffer bytes = chunk.duplicate();
        try {
            while (bytes.hasRemaining()) {
                output.write(bytes);
            }
        } catch (IOException e) {
            throw new OutputFailed(e);
        }
        Log.debug(() -> "delivered a chunk of " + chunk.remaining() + " bytes");
    }

    private static boolean isBrokenPipe(IOException e) {
        String message = e.getMessage();
        return message != null && (message.contains("Broken pipe") || message.contains("Stream closed"));
    }
}
