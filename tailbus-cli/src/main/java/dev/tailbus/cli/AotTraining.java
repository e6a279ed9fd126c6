package dev.tailbus.cli;

import dev.tailbus.filebus.BusConfig;
import dev.tailbus.filebus.BusPaths;
import dev.tailbus.filebus.Chunking;
import dev.tailbus.filebus.Consumer;
import dev.tailbus.filebus.Producer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The workload {@code bin/tailbus} runs once, under {@code -XX:AOTCacheOutput}, to make the JVM's
 * ahead-of-time cache: what the pipe tools load and link at start. Command lines first (below),
 * then filebus itself on a bus in a temporary folder: a lossless producer and consumer, and a
 * lossy consumer's first chunk. Classes it does not touch (gRPC's, protobuf's, the servers')
 * load from the jar as without a cache; the JVM maps every class of the cache at every start,
 * so what is left out is what no start pays for. Not a tool: no subcommand
 * runs it, and it prints nothing that anyone reads.
 */
final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Path folder = Files.createTempDirectory("tailbus-aot-training");
        try {
            System.setOut(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
            commandLines();
            lossless(folder.resolve("lossless.bus"));
            lossy(folder.resolve("lossy.bus"));
        } finally {
            System.setOut(out);
            System.setErr(err);
            delete(folder);
        }
        out.println("trained");
        System.exit(0);
    }

    /**
     * The quick command lines ({@link QuickStart}), then picocli building and running the tools
     * that need neither gRPC nor protobuf (tailsrv's and store's help, a usage error): picocli's
     * classes in the cache take about a third off those starts. The gRPC tools stay out, so that
     * no start maps their classes.
     */
    private static void commandLines() {
        Tailbus.run("--version");
        Tailbus.run("filebus", "--help");
        Tailbus.run("filebus", "producer", "--help");
        Tailbus.run("filebus", "--filename");
        Tailbus.run("tailsrv", "--help");
        Tailbus.run("store", "verify", "--help");
    }

    private static void lossless(Path bus) throws Exception {
        BusConfig config = new BusConfig(BusPaths.of(bus), 4096, BusConfig.DEFAULT_SLEEP_INTERVAL, true, true,
                Chunking.BYTES);
        byte[] input = new byte[64 * 1024];
        Thread producer = Thread.ofPlatform().start(() -> {
            try {
                Producer.run(config, new ByteArrayInputStream(input));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Consumer.run(config, Channels.newChannel(OutputStream.nullOutputStream()));
        producer.join(TimeUnit.SECONDS.toMillis(30));
    }

    private static void lossy(Path bus) throws Exception {
        BusConfig config = new BusConfig(BusPaths.of(bus), 4096, BusConfig.DEFAULT_SLEEP_INTERVAL, false, true,
                Chunking.BYTES);
        Producer.run(config, new ByteArrayInputStream("a chunk".getBytes(StandardCharsets.UTF_8)));
        CountDownLatch delivered = new CountDownLatch(1);
        WritableByteChannel output = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                src.position(src.limit());
                delivered.countDown();
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        // A lossy consumer never ends by itself: it waits on a daemon thread that the exit ends.
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Consumer.run(config, output);
            } catch (IOException e) {
                delivered.countDown();
            }
        });
        delivered.await(30, TimeUnit.SECONDS);
    }

    private static void delete(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
