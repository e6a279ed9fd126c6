package dev.tailbus.bench.filebus;

import dev.tailbus.bench.Table;
import dev.tailbus.core.fs.LockFile;
import dev.tailbus.core.fs.WholeFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Lossless filebus through the launcher, producer to consumer, beside the raw cost of the file
 * operations one chunk's handoff needs (write F.__new__, rename, read F, unlink) done in a loop in
 * this process, measured in the same run. The gap between the two is the handoff's own cost:
 * two processes waking each other through inotify and taking the lock.
 *
 * <p>A second baseline is the protocol's floor: every system call one lossless handoff makes in
 * filebus (the producer's flock, look at F, write F.__new__, rename, unlock; the consumer's flock,
 * read F, write to the output, unlink, unlock), through the same core classes, looped in this
 * process, so that only the two wake-ups across processes are missing. No pair of processes
 * passing one chunk at a time through these files and locks can beat it. A third baseline is
 * those two wake-ups alone, a byte sent to a {@code cat} process and back; the floor plus them is
 * about the best such a pair can do on the machine at the time.
 *
 * <p>Each block size is run with a wait that sleeps on inotify at once
 * ({@code -Dtailbus.filebus.spin-us=0}), with the waits' short spin
 * ({@code -Dtailbus.filebus.spin-us=50}, the default), and once more with the default and phase timing
 * ({@code -Dtailbus.filebus.phases=true}), whose totals give the breakdown of a chunk's time. The
 * processor time of both processes is taken from the shell's {@code time}. Each timed
 * configuration runs several times, in turns, and the fastest run counts: on a shared machine the
 * slower runs measure the neighbours.
 *
 * <p>Usage: {@code bin/tailbus-bench filebus.HandoffBenchmark [MiB] [runs]} (default 64 and 3).
 */
public final class HandoffBenchmark {
    private static final long LIMIT_SECONDS = 120;

    private HandoffBenchmark() {
    }

    /** One way of running the pair: a name and the JVM options it adds. */
    private record Setup(String name, String jvmOptions) {
    }

    private static final Setup NO_SPIN = new Setup("filebus, wait sleeps at once (spin-us=0)", "-Dtailbus.filebus.spin-us=0");
    private static final Setup SPIN = new Setup("filebus, wait spins up to 50 us (spin-us=50)", "-Dtailbus.filebus.spin-us=50");
    private static final Setup PHASES = new Setup("filebus, phase timing on", "-Dtailbus.filebus.phases=true");

    public static void main(String[] args) throws Exception {
        int mebibytes = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path home = Path.of(System.getProperty("tailbus.home", "."));
        Path folder = Files.createTempDirectory("filebus-bench");
        try {
            Path input = folder.resolve("input.bin");
            byte[] bytes = new byte[mebibytes * 1024 * 1024];
            new Random(1).nextBytes(bytes);
            Files.write(input, bytes);
            double startCpu = startCpuSeconds(home);

            Table table = new Table("block size", "what", "MB/s", "chunks/s", "first byte to last (s)", "x raw",
                    "x floor", "CPU beyond start (s)", "CPU per chunk (us)");
            List<String> breakdowns = new ArrayList<>();
            for (int blockSize : new int[] {4096, 65536}) {
                long chunks = (bytes.length + blockSize - 1) / blockSize;
                double raw = Double.MAX_VALUE;
                double floor = Double.MAX_VALUE;
                double wakeUps = Double.MAX_VALUE;
                Map<Setup, Piped> best = new LinkedHashMap<>();
                for (int run = 0; run < runs; run++) {
                    raw = Math.min(raw, raw(folder, blockSize, bytes.length));
                    floor = Math.min(floor, floor(folder, blockSize, bytes.length));
                    wakeUps = Math.min(wakeUps, pingPong(chunks));
                    for (Setup setup : List.of(NO_SPIN, SPIN)) {
                        Piped piped = piped(home, folder, input, blockSize, bytes.length, setup);
                        best.merge(setup, piped, (a, b) -> a.streaming <= b.streaming ? a : b);
                    }
                }
                table.row(blockSize, "raw write+rename+read+unlink, 1 process", Table.rate(bytes.length / raw / 1e6),
                        Table.rate(chunks / raw), String.format("%.3f", raw), "1.00", String.format("%.2f", floor / raw),
                        "-", "-");
                table.row(blockSize, "floor: the protocol's calls of a handoff, 1 process", Table.rate(bytes.length / floor / 1e6),
                        Table.rate(chunks / floor), String.format("%.3f", floor), String.format("%.2f", raw / floor), "1.00",
                        "-", "-");
                table.row(blockSize, "two wake-ups a chunk: a byte to cat and back", "-", Table.rate(chunks / wakeUps),
                        String.format("%.3f", wakeUps), String.format("%.2f", raw / wakeUps), String.format("%.2f", floor / wakeUps),
                        "-", "-");
                double limit = floor + wakeUps;
                table.row(blockSize, "floor + two wake-ups a chunk (sum of the two above)", Table.rate(bytes.length / limit / 1e6),
                        Table.rate(chunks / limit), String.format("%.3f", limit), String.format("%.2f", raw / limit),
                        String.format("%.2f", floor / limit), "-", "-");
                for (Map.Entry<Setup, Piped> entry : best.entrySet()) {
                    Piped piped = entry.getValue();
                    double cpu = Math.max(0, piped.cpuSeconds - 2 * startCpu);
                    boolean isDefault = entry.getKey() == SPIN;
                    table.row(blockSize, entry.getKey().name + (isDefault ? ", the default" : ""), Table.rate(bytes.length / piped.streaming / 1e6),
                            Table.rate(chunks / piped.streaming), String.format("%.3f", piped.streaming),
                            String.format("%.2f", raw / piped.streaming), String.format("%.2f", floor / piped.streaming),
                            String.format("%.2f", cpu),
                            String.format("%.0f", cpu * 1e6 / chunks));
                }
                Piped timed = piped(home, folder, input, blockSize, bytes.length, PHASES);
                breakdowns.add(breakdown(blockSize, chunks, timed));
            }
            System.out.println("filebus lossless handoff, " + mebibytes + " MiB of random bytes, fastest of " + runs
                    + " runs each; x raw = raw time / filebus time (first byte to last)");
            System.out.println("(CPU beyond start: user+system time of producer and consumer, less twice that of one"
                    + " `filebus --version`, " + String.format("%.2f", startCpu) + " s)");
            System.out.println();
            System.out.print(table.render());
            for (String breakdown : breakdowns) {
                System.out.println();
                System.out.print(breakdown);
            }
            Table start = new Table("what", "ms");
            start.row("consumer process start to first byte (lossy, chunk present)",
                    String.format("%.0f", firstByteMillis(home, folder)));
            System.out.println();
            System.out.print(start.render());
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** One process doing each chunk's file operations back to back; returns the seconds taken. */
    private static double raw(Path folder, int blockSize, long total) throws IOException {
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
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * One process making, for each chunk, the system calls of one lossless handoff in filebus, in
     * its order and through the same core classes (flock; access F; open, write, close F.__new__;
     * rename; unlock; then flock; open, read, close F; write to /dev/null as to the output;
     * unlink; unlock); returns the seconds taken. What it leaves out is the wake-ups.
     */
    private static double floor(Path folder, int blockSize, long total) throws IOException {
        Path data = folder.resolve("floor");
        ByteBuffer chunk = ByteBuffer.allocateDirect(blockSize);
        try (LockFile lock = LockFile.open(folder.resolve("floor.lock"));
                WholeFiles files = WholeFiles.open(blockSize + 1);
                FileChannel output = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE)) {
            WholeFiles.Name dataName = files.name(data);
            WholeFiles.Name staging = files.name(folder.resolve("floor.__new__"));
            long start = System.nanoTime();
            for (long done = 0; done < total; done += blockSize) {
                lock.lock();
                try {
                    if (files.exists(dataName)) {
                        throw new IllegalStateException("the floor loop found its own chunk still there");
                    }
                    files.write(staging, chunk.clear());
                    files.rename(staging, dataName);
                } finally {
                    lock.unlock();
                }
                lock.lock();
                try {
                    ByteBuffer read = files.read(dataName);
                    while (read.hasRemaining()) {
                        output.write(read);
                    }
                    files.delete(dataName);
                } finally {
                    lock.unlock();
                }
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    /**
     * One byte sent to a {@code cat} process and read back, {@code rounds} times; returns the
     * seconds taken. Each round is two sleeps in a read, each ended by the other process's write,
     * across processes: the two wake-ups that a lossless chunk costs beyond its system calls (the
     * consumer woken by the rename, the producer by the unlink), without the files.
     */
    private static double pingPong(long rounds) throws Exception {
        Process cat = new ProcessBuilder("cat").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream there = cat.getOutputStream(); InputStream back = cat.getInputStream()) {
            long start = System.nanoTime();
            for (long i = 0; i < rounds; i++) {
                there.write(1);
                there.flush();
                if (back.read() < 0) {
                    throw new IllegalStateException("cat ended early");
                }
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            cat.destroyForcibly();
            cat.waitFor();
        }
    }

    /** A run of the pair: first byte to last, processor seconds of both, and their stderr. */
    private record Piped(double streaming, double cpuSeconds, String stderr) {
    }

    /** {@code bin/filebus ARGS} under the shell's {@code time}, which prints "cpu USER SYSTEM" on stderr last. */
    private static ProcessBuilder timed(Path home, Setup setup, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", "-c", "TIMEFORMAT='cpu %U %S'; time \"$@\"", "filebus",
                home.resolve("bin/filebus").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("TAILBUS_JAVA_OPTS", setup.jvmOptions);
        return builder;
    }

    private static Piped piped(Path home, Path folder, Path input, int blockSize, long total, Setup setup) throws Exception {
        Path bus = folder.resolve("bus-" + blockSize);
        String block = String.valueOf(blockSize);
        Process consumer = timed(home, setup, "--lossless", "--block-size", block, "--filename", bus.toString(), "consumer")
                .start();
        Process producer = timed(home, setup, "--lossless", "--block-size", block, "--filename", bus.toString(), "producer")
                .redirectInput(input.toFile()).start();
        try {
            CompletableFuture<String> consumerErr = text(consumer.getErrorStream());
            CompletableFuture<String> producerErr = text(producer.getErrorStream());
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
            if (!producer.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS) || !consumer.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)
                    || producer.exitValue() != 0 || consumer.exitValue() != 0 || received != total) {
                throw new IllegalStateException("the run failed: received " + received + " of " + total + " bytes");
            }
            String stderr = producerErr.get() + consumerErr.get();
            return new Piped((end - first) / 1e9, cpu(producerErr.get()) + cpu(consumerErr.get()), stderr);
        } finally {
            for (Process process : List.of(producer, consumer)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    private static CompletableFuture<String> text(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /** The seconds in the last "cpu USER SYSTEM" line of {@code stderr}. */
    private static double cpu(String stderr) {
        List<String> lines = stderr.lines().filter(line -> line.startsWith("cpu ")).toList();
        if (lines.isEmpty()) {
            throw new IllegalStateException("no processor time in: " + stderr);
        }
        String[] fields = lines.getLast().split("\\s+");
        return Double.parseDouble(fields[1]) + Double.parseDouble(fields[2]);
    }

    /** The processor seconds of one {@code filebus --version}: a start and an end, no work. */
    private static double startCpuSeconds(Path home) throws Exception {
        double least = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            Process version = timed(home, new Setup("start", ""), "--version").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String stderr = text(version.getErrorStream()).get(LIMIT_SECONDS, TimeUnit.SECONDS);
            version.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS);
            least = Math.min(least, cpu(stderr));
        }
        return least;
    }

    /** The phase totals of a timed run, per chunk: "filebus phase: SIDE | WHAT | MS ms | N times | ...". */
    private static String breakdown(int blockSize, long chunks, Piped run) {
        Table table = new Table("side", "phase", "us per chunk", "share of the chunk's time");
        List<String[]> phases = new ArrayList<>();
        for (String line : run.stderr.lines().toList()) {
            if (!line.startsWith("filebus phase: ")) {
                continue;
            }
            String[] fields = line.substring("filebus phase: ".length()).split(" \\| ");
            if (fields[0].equals("total") || fields[1].equals("wait for the first chunk")) {
                continue;
            }
            phases.add(fields);
        }
        double streamingMillis = run.streaming * 1000;
        for (String[] fields : phases) {
            double millis = Double.parseDouble(fields[2].replace(" ms", ""));
            table.row(fields[0], fields[1], String.format("%.1f", millis * 1000 / chunks),
                    String.format("%.0f%%", 100 * millis / streamingMillis));
        }
        return "Where a chunk's time goes at " + blockSize + " bytes (one run with phase timing, "
                + String.format("%.3f", run.streaming) + " s first byte to last, "
                + String.format("%.1f", run.streaming * 1e6 / chunks) + " us per chunk; each side's phases add up to"
                + " its share of that time, the two sides overlap):\n\n" + table.render();
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
