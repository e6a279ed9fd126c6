package dev.tailbus.bench.startup;

import dev.tailbus.bench.Table;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How long a pipe tool takes to start, through {@code bin/tailbus} as a user starts it, beside
 * the Python filebus's {@code --help} and a bare {@code java -version} measured in the same run,
 * the commands taken in turns round after round so that a busy moment of the machine falls on
 * all of them. Each figure is the median of the rounds (the minimum beside it).
 *
 * <p>The Python figure comes from a stand-in ({@code reference_filebus_cli.py}): the reference's
 * command line in argparse and its imports, since the reference itself is not installed here.
 * The first byte is timed from starting a lossy consumer on a bus that holds a chunk to reading
 * its first byte; the consumer is then stopped.
 *
 * <p>Usage: {@code bin/tailbus-bench startup.StartupBenchmark [ROUNDS]} (default 21).
 */
public final class StartupBenchmark {
    private static final double GOAL_MS = 70;

    private StartupBenchmark() {
    }

    /** One command to time: how to start it, and whether to time it to its first byte or its end. */
    private record Timed(String name, List<String> command, Map<String, String> environment, boolean toFirstByte,
            boolean judged) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        Path home = Path.of(System.getProperty("tailbus.home", ".")).toAbsolutePath();
        Path folder = Files.createTempDirectory("tailbus-startup-bench");
        try {
            Path python = folder.resolve("reference_filebus_cli.py");
            try (InputStream in = StartupBenchmark.class.getResourceAsStream("reference_filebus_cli.py")) {
                Files.write(python, in.readAllBytes());
            }
            Path bus = Files.writeString(folder.resolve("bus"), "a chunk\n");
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String tailbus = home.resolve("bin/tailbus").toString();
            String filebus = home.resolve("bin/filebus").toString();
            Map<String, String> noCache = Map.of("TAILBUS_AOT", "0");
            List<Timed> commands = List.of(
                    new Timed("java -version (bare JVM)", List.of(javaBin, "-version"), Map.of(), false, false),
                    new Timed("python3 filebus --help (reference stand-in)", List.of("python3", python.toString(), "--help"),
                            Map.of(), false, false),
                    new Timed("tailbus --version", List.of(tailbus, "--version"), Map.of(), false, true),
                    new Timed("tailbus filebus --help", List.of(tailbus, "filebus", "--help"), Map.of(), false, true),
                    new Timed("filebus consumer, lossy: first byte", List.of(filebus, "--filename", bus.toString(), "consumer"),
                            Map.of(), true, true),
                    new Timed("tailbus --version, no AOT cache", List.of(tailbus, "--version"), noCache, false, false),
                    new Timed("tailbus filebus --help, no AOT cache", List.of(tailbus, "filebus", "--help"), noCache, false,
                            false),
                    new Timed("filebus consumer first byte, no AOT cache",
                            List.of(filebus, "--filename", bus.toString(), "consumer"), noCache, true, false),
                    new Timed("tailbus tailsrv --help (picocli)", List.of(tailbus, "tailsrv", "--help"), Map.of(), false,
                            false));
            Map<Timed, double[]> millis = new LinkedHashMap<>();
            for (Timed t : commands) {
                millis.put(t, new double[rounds]);
                time(t); // once before the rounds: the launcher makes its cache if it has none
            }
            String cache = awaitCache(home) ? "cache ready" : "NO CACHE: it was not made within 3 minutes";
            for (int round = 0; round < rounds; round++) {
                for (Timed t : commands) {
                    millis.get(t)[round] = time(t);
                }
            }
            double python3 = median(millis.get(commands.get(1)));
            Table table = new Table("command", "median ms", "min ms", "vs python --help", "goal", "met");
            for (Map.Entry<Timed, double[]> e : millis.entrySet()) {
                double median = median(e.getValue());
                double min = Arrays.stream(e.getValue()).min().orElseThrow();
                table.row(e.getKey().name(), String.format("%.1f", median), String.format("%.1f", min),
                        String.format("%.2f", median / python3), e.getKey().judged() ? "<= 70 ms" : "-",
                        e.getKey().judged() ? (median <= GOAL_MS ? "yes" : "NO") : "-");
            }
            System.out.println("start-up, " + rounds + " rounds, commands in turns, " + cache + "; "
                    + Runtime.getRuntime().availableProcessors() + " CPUs, load average "
                    + String.format("%.2f", ManagementFactory.getOperatingSystemMXBean()
                            .getSystemLoadAverage()));
            System.out.println();
            System.out.print(table.render());
        } finally {
            try (Stream<Path> walk = Files.walk(folder)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Waits, at most 3 minutes, until the launcher's cache is newer than its jar. */
    private static boolean awaitCache(Path home) throws IOException, InterruptedException {
        Path jar = home.resolve("tailbus-cli/target/tailbus.jar");
        Path cache = home.resolve("tailbus-cli/target/tailbus.aot");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(cache) || Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(jar)) <= 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(200); // a benchmark's wait, not a test's
        }
        return true;
    }

    /** Milliseconds from starting {@code t} to its end, or to its first byte on stdout. */
    private static double time(Timed t) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(t.command());
        builder.environment().putAll(t.environment());
        builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        if (!t.toFirstByte()) {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        long start = System.nanoTime();
        Process process = builder.start();
        try {
            if (t.toFirstByte()) {
                if (process.getInputStream().read() < 0) {
                    throw new IllegalStateException(t.name() + " printed nothing");
                }
                return (System.nanoTime() - start) / 1e6;
            }
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(t.name() + " did not end within 60 s");
            }
            double elapsed = (System.nanoTime() - start) / 1e6;
            if (process.exitValue() != 0) {
                throw new IllegalStateException(t.name() + " exited " + process.exitValue());
            }
            return elapsed;
        } finally {
            process.destroy();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
