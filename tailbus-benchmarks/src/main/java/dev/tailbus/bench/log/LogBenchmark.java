package dev.tailbus.bench.log;

import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.FlushPolicy;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.LogReader;
import dev.tailbus.core.log.StoredEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The log's benchmark: single-writer appends of events with a 100-byte payload (flush policy
 * none, and fsync batches), sequential reads from the page cache, and lookups (last N of a
 * topic, seek by time) in a store of many events, against a baseline measured in the same run:
 * writing the same record bytes with plain buffered FileChannel writes (no positions, no
 * index, no CRC).
 *
 * <p>Usage: {@code bin/tailbus-bench log.LogBenchmark [EVENTS [FOLDER]]} (default 10,000,000
 * events in a temporary folder under /tmp, deleted afterwards).
 *
 * <p>{@code bin/tailbus-bench log.LogBenchmark topics [EVENTS [FOLDER]]} measures the store's real
 * shape instead: one file per topic ({@code {topic}:.*}), events spread round-robin over 1, 1,000
 * and 100,000 topics (default 1,000,000 events each), each row in a fresh JVM with
 * {@code -Xmx256m}: appends/s and MB/s (flush none), resident memory and open descriptors after
 * the load, the time of a history of depth 1 over every topic, and the sequential read rate;
 * ratios against the 1-topic row of the same run.
 */
public final class LogBenchmark {
    private static final int PAYLOAD = 100;
    private static final int BATCH = 1000;
    private static final int TOPICS = 1000;

    private LogBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("topics")) {
            topics(args);
            return;
        }
        if (args.length > 0 && args[0].equals("topics-row")) {
            topicsRow(Integer.parseInt(args[1]), Long.parseLong(args[2]), Path.of(args[3]),
                    args.length > 4 ? Integer.parseInt(args[4]) : LogConfig.DEFAULT_MAX_OPEN_FILES);
            return;
        }
        long events = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 10_000_000L;
        Path base = args.length > 1 ? Path.of(args[1]) : Path.of("/tmp");
        Path dir = Files.createTempDirectory(base, "tailbus-log-bench");
        try {
            run(events, dir);
        } finally {
            delete(dir);
        }
    }

    private static List<List<EventToAppend>> batches(int count, long timeBase) {
        Random random = new Random(42);
        List<List<EventToAppend>> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            List<EventToAppend> batch = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                String topic = "topic/" + random.nextInt(TOPICS);
                byte[] payload = new byte[PAYLOAD];
                random.nextBytes(payload);
                long time = timeBase + (long) b * BATCH + i;
                batch.add(new EventToAppend(topic, time, EventWire.minimalEvent(topic, time, payload)));
            }
            out.add(batch);
        }
        return out;
    }

    private static void run(long events, Path dir) throws IOException {
        List<List<EventToAppend>> templates = batches(16, 0);
        int eventBytes = templates.getFirst().getFirst().event().length;
        System.out.printf("tailbus log benchmark: %,d events, payload %d B (event %d B + position field),"
                + " batches of %d, %d topics in one file; folder %s%n%n", events, PAYLOAD, eventBytes, BATCH,
                TOPICS, dir);
        System.out.printf("%-44s %14s %10s %12s%n", "measurement", "events/s", "MB/s", "vs baseline");

        // warm-up, then the baseline: the same record bytes through plain buffered writes
        double baseline = 0;
        for (int round = 0; round < 2; round++) {
            baseline = rawWrite(dir.resolve("raw.pb"), templates, Math.min(events, 3_000_000L));
        }
        print("baseline: raw FileChannel writes", baseline, eventBytes + 4 + 6, 1.0);

        // appends with flush policy none, building the store for the lookups
        Path store = dir.resolve("store");
        Files.createDirectories(store);
        LogConfig none = LogConfig.builder(store).pattern("all:.*").build();
        long appended = 0;
        long start = System.nanoTime();
        try (EventLog log = EventLog.open(none)) {
            List<EventToAppend> batch = new ArrayList<>(BATCH);
            while (appended < events) {
                // fresh records with growing receive times (as a server makes them), template bytes
                batch.clear();
                for (EventToAppend e : templates.get((int) (appended / BATCH) % templates.size())) {
                    batch.add(new EventToAppend(e.topic(), appended + batch.size(), e.event()));
                }
                log.append(batch);
                appended += batch.size();
            }
        }
        double appendRate = appended / seconds(start);
        print("append, flush none", appendRate, eventBytes + 4 + 6, appendRate / baseline);

        // appends with fsync per batch (group commit), bounded to a few seconds
        Path synced = dir.resolve("synced");
        Files.createDirectories(synced);
        for (int batchSize : new int[] {1000, 100}) {
            try (EventLog log = EventLog.open(LogConfig.builder(synced).pattern("all:.*")
                    .flush(FlushPolicy.BATCH).build())) {
                long n = 0;
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < 3_000_000_000L) {
                    List<EventToAppend> batch = templates.get((int) (n / batchSize) % templates.size())
                            .subList(0, batchSize);
                    log.append(batch);
                    n += batchSize;
                }
                double rate = n / seconds(t0);
                print("append, flush batch (fsync), " + batchSize + "/batch", rate, eventBytes + 4 + 6,
                        rate / baseline);
            }
        }

        try (EventLog log = EventLog.open(none)) {
            // sequential read of the whole store (page cache)
            for (int round = 0; round < 2; round++) {
                long read = 0;
                long t0 = System.nanoTime();
                try (LogReader reader = log.readAfter(t -> true, 0)) {
                    for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
                        read++;
                    }
                }
                if (round == 1) {
                    double rate = read / seconds(t0);
                    print("sequential read, all topics", rate, eventBytes + 4 + 6, rate / baseline);
                }
            }
            Random random = new Random(7);
            int lookups = 2000;
            long total = 0;
            for (int round = 0; round < 2; round++) {
                total = 0;
                for (int i = 0; i < lookups; i++) {
                    String topic = "topic/" + random.nextInt(TOPICS);
                    long t0 = System.nanoTime();
                    List<StoredEvent> last = log.lastPerTopic(topic::equals, 10, log.lastPosition()).toList();
                    total += System.nanoTime() - t0;
                    if (last.size() != 10) {
                        throw new IllegalStateException("expected 10 events of " + topic + ", got " + last.size());
                    }
                }
            }
            System.out.printf("%-44s %14s%n", "lookup: last 10 of one topic (1 of " + TOPICS + ")",
                    String.format("%.1f us", total / 1000.0 / lookups));
            for (int round = 0; round < 2; round++) {
                total = 0;
                for (int i = 0; i < lookups; i++) {
                    long time = (long) (random.nextDouble() * events);
                    long t0 = System.nanoTime();
                    try (LogReader reader = log.readFromTime(t -> true, time)) {
                        if (reader.next() == null) {
                            throw new IllegalStateException("nothing at or after " + time);
                        }
                    }
                    total += System.nanoTime() - t0;
                }
            }
            System.out.printf("%-44s %14s%n", "lookup: seek by time + first event",
                    String.format("%.1f us", total / 1000.0 / lookups));
            System.out.printf("%nstore: %,d events, %,d MB on disk%n", log.lastPosition(), size(store) >> 20);
        }
    }

    private static final int[] SHAPES = {1, 1_000, 100_000};

    /** Runs one child JVM per topic count and prints the table. */
    private static void topics(String[] args) throws Exception {
        long events = args.length > 1 ? Long.parseLong(args[1].replace("_", "")) : 1_000_000L;
        Path base = args.length > 2 ? Path.of(args[2]) : Path.of("/tmp");
        String java = ProcessHandle.current().info().command().orElse("java");
        System.out.printf("tailbus log benchmark, one file per topic: %,d events of %d B payload per row, batches"
                + " of %d, round-robin over the topics, flush none, each row in a JVM with -Xmx256m%n%n", events,
                PAYLOAD, BATCH);
        System.out.printf("%8s %12s %8s %8s %8s %12s %12s %10s %10s%n", "topics", "appends/s", "MB/s", "RSS MiB",
                "fds", "depth-1 ms", "reads/s", "append x", "read x");
        double[] baseline = null;
        for (int topics : SHAPES) {
            Path dir = Files.createTempDirectory(base, "tailbus-log-topics");
            try {
                Process child = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
                        "-cp", System.getProperty("java.class.path"), LogBenchmark.class.getName(), "topics-row",
                        String.valueOf(topics), String.valueOf(events), dir.toString())
                        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
                String line = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .strip();
                if (child.waitFor() != 0 || line.isEmpty()) {
                    System.out.printf("%8s   failed (exit %d)%n", String.format("%,d", topics), child.exitValue());
                    continue;
                }
                String[] f = line.split(" ");
                double[] v = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    v[i] = Double.parseDouble(f[i]);
                }
                if (baseline == null) {
                    baseline = v;
                }
                System.out.printf("%8s %,12.0f %8.1f %8.0f %8.0f %12.1f %,12.0f %9.2fx %9.2fx%n",
                        String.format("%,d", topics), v[0], v[1], v[2], v[3], v[4], v[5], v[0] / baseline[0],
                        v[5] / baseline[5]);
            } finally {
                delete(dir);
            }
        }
    }

    /** One row: prints appends/s, MB/s, RSS MiB, descriptors, depth-1 ms, reads/s on one line. */
    private static void topicsRow(int topics, long events, Path dir, int maxOpenFiles) throws IOException {
        String[] names = new String[topics];
        for (int i = 0; i < topics; i++) {
            names[i] = "sensor/" + i;
        }
        byte[][] templates = new byte[topics][];
        Random random = new Random(42);
        byte[] payload = new byte[PAYLOAD];
        random.nextBytes(payload);
        for (int i = 0; i < topics; i++) {
            templates[i] = EventWire.minimalEvent(names[i], 0, payload);
        }
        LogConfig config = maxOpenFiles == LogConfig.DEFAULT_MAX_OPEN_FILES ? LogConfig.of(dir)
                : LogConfig.builder(dir).maxOpenFiles(maxOpenFiles).build();
        double appendRate;
        double mb;
        long rss;
        long fds;
        double depthMillis;
        double readRate;
        try (EventLog log = EventLog.open(config)) {
            List<EventToAppend> batch = new ArrayList<>(BATCH);
            long n = 0;
            long bytes = 0;
            long t0 = System.nanoTime();
            while (n < events) {
                batch.clear();
                for (int i = 0; i < BATCH && n < events; i++, n++) {
                    int t = (int) (n % topics);
                    batch.add(new EventToAppend(names[t], n, templates[t]));
                    bytes += templates[t].length + 4 + 6;
                }
                log.append(batch);
            }
            double seconds = seconds(t0);
            appendRate = n / seconds;
            mb = bytes / seconds / 1e6;
            rss = rssKib() >> 10;
            fds = openDescriptors();
            long h0 = System.nanoTime();
            long got = 0;
            try (LogReader history = log.lastPerTopic(t -> true, 1, log.lastPosition())) {
                for (StoredEvent e = history.next(); e != null; e = history.next()) {
                    got++;
                }
            }
            depthMillis = (System.nanoTime() - h0) / 1e6;
            if (got != Math.min(topics, events)) {
                throw new IllegalStateException("history of depth 1 gave " + got + " events for " + topics + " topics");
            }
            long read = 0;
            long r0 = System.nanoTime();
            try (LogReader reader = log.readAfter(t -> true, 0)) {
                for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
                    read++;
                }
            }
            readRate = read / seconds(r0);
            if (read != events) {
                throw new IllegalStateException("read " + read + " of " + events + " events");
            }
            rss = Math.max(rss, rssKib() >> 10);
            fds = Math.max(fds, openDescriptors());
        }
        System.out.printf(java.util.Locale.ROOT, "%.0f %.1f %d %d %.1f %.0f%n", appendRate, mb, rss, fds, depthMillis,
                readRate);
    }

    private static long rssKib() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    private static double rawWrite(Path file, List<List<EventToAppend>> templates, long events) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long t0 = System.nanoTime();
        long n = 0;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (n < events) {
                for (EventToAppend e : templates.get((int) (n / BATCH) % templates.size())) {
                    byte[] bytes = e.event();
                    if (buffer.remaining() < bytes.length + 4 + 6) {
                        buffer.flip();
                        while (buffer.hasRemaining()) {
                            out.write(buffer);
                        }
                        buffer.clear();
                    }
                    buffer.putInt(bytes.length + 6).put(bytes).putShort((short) 0x06A0).putInt((int) n);
                    n++;
                }
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        }
        double rate = n / seconds(t0);
        Files.delete(file);
        return rate;
    }

    private static void print(String what, double eventsPerSecond, int recordBytes, double ratio) {
        System.out.printf("%-44s %,14.0f %10.1f %11.2fx%n", what, eventsPerSecond,
                eventsPerSecond * recordBytes / 1e6, ratio);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
