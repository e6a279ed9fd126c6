package dev.tailbus.bench.filebus;

import dev.tailbus.bench.Table;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Lossless filebus through the launcher, producer to consumer, beside the raw cost of the file
 * operations one chunk's handoff needs (write F.__new__, rename, read F, unlink) done in a loop in
 * this process, measured in the same run. The gap between the two is the handoff's own cost:
 * two processes waking each other through inotify and taking the lock.
 *
 * <p>Usage: {@code bin/tailbus-bench filebus.HandoffBenchmark [MiB]} (default 64).
 */
public final class HandoffBenchmark {
    private HandoffBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int mebibytes = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        Path home = Path.of(System.getProperty("tailbus.home", "."));
        Path folder = Files.createTempDirectory("filebus-bench");
        try {
            Path input = folder.resolve("input.bin");
            byte[] bytes = new byte[mebibytes * 1024 * 1024];
            new Random(1).nextBytes(bytes);
            Files.write(input, bytes);

            Table table = new Table("block size", "what", "MB/s", "chunks/s", "time (s)");
            for (int blockSize : new int[] {4096, 65536}) {
                Raw raw = raw(folder, blockSize, bytes.length);
                Piped piped = piped(home, folder, input, blockSize, bytes.length);
                long chunks = (bytes.length + blockSize - 1) / blockSize;
                table.row(blockSize, "raw write+rename+read+unlink, 1 process", Table.rate(bytes.length / raw.seconds / 1e6),
                        Table.rate(chunks / raw.seconds), String.format("%.3f", raw.seconds));
                table.row(blockSize, "filebus producer -> consumer, end to end", Table.rate(bytes.length / piped.total / 1e6),
                        Table.rate(chunks / piped.total), String.format("%.3f", piped.total));
                table.row(blockSize, "  the same, first byte to last", Table.rate(bytes.length / piped.streaming / 1e6),
                        Table.rate(chunks / piped.streaming), String.format("%.3f", piped.streaming));
            }
            Table start = new Table("what", "ms");
            start.row("consumer process start to first byte (lossy, chunk present)",
                    String.format("%.0f", firstByteMillis(home, folder)));
            System.out.println("filebus lossless handoff, " + mebibytes + " MiB of random bytes");
            System.out.println();
            System.out.print(table.render());
            System.out.println();
            System.out.print(start.render());
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private record Raw(double seconds) {
    }

    /** One process doing each chunk's file operations back to back. */
    private static Raw raw(Path folder, int blockSize, long total) throws IOException {
        Path data = folder.resolve("raw");
        Path staging = folder.resolve("raw.__new__");
        ByteBuffer chunk = ByteBuffer.allocateDirect(blockSize);
        ByteBuffer in = ByteBuffer.allocateDirect(blockSize + 1);
        long start = System.nanoTime();
        for (long done = 0; done < total; done += blockSize) {
            try (FileChannel out = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                chunk.clear();
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
            }
            Files.move(staging, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel read = FileChannel.open(data, StandardOpenOption.READ)) {
                in.clear();
                while (read.read(in) >= 0) {
                    // to the end
                }
            }
            Files.delete(data);
        }
        return new Raw((System.nanoTime() - start) / 1e9);
    }

    private record Piped(double total, double streaming) {
    }

    private static Piped piped(Path home, Path folder, Path input, int blockSize, long total) throws Exception {
        Path bus = folder.resolve("bus-" + blockSize);
        String launcher = home.resolve("bin/filebus").toString();
        long start = System.nanoTime();
        Process consumer = new ProcessBuilder(launcher, "--lossless", "--block-size", String.valueOf(blockSize),
                "--filename", bus.toString(), "consumer").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Process producer = new ProcessBuilder(launcher, "--lossless", "--block-size", String.valueOf(blockSize),
                "--filename", bus.toString(), "producer").redirectInput(input.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long first = 0;
        long received = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream out = consumer.getInputStream()) {
            int n;
            while ((n = out.read(buffer)) > 0) {
                if (first == 0) {
                    first = System.nanoTime();
                }
                received += n;
            }
        }
        long end = System.nanoTime();
        if (!producer.waitFor(60, TimeUnit.SECONDS) || !consumer.waitFor(60, TimeUnit.SECONDS)
                || producer.exitValue() != 0 || consumer.exitValue() != 0 || received != total) {
            producer.destroyForcibly();
            consumer.destroyForcibly();
            throw new IllegalStateException("the run failed: received " + received + " of " + total + " bytes");
        }
        return new Piped((end - start) / 1e9, (end - first) / 1e9);
    }

    /** Time from starting a lossy consumer to its first byte, with a chunk already on the bus. */
    private static double firstByteMillis(Path home, Path folder) throws Exception {
        Path bus = folder.resolve("first-byte");
        Files.writeString(bus, "x");
        String launcher = home.resolve("bin/filebus").toString();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            Process consumer = new ProcessBuilder(launcher, "--filename", bus.toString(), "consumer").start();
            try (InputStream out = consumer.getInputStream()) {
                if (out.read() < 0) {
                    throw new IllegalStateException("the consumer printed nothing");
                }
                best = Math.min(best, (System.nanoTime() - start) / 1e6);
            } finally {
                consumer.destroy();
                consumer.waitFor();
            }
        }
        return best;
    }
}
