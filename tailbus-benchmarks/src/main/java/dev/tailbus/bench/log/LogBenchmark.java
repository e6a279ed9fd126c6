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
 */
public final class LogBenchmark {
    private static final int PAYLOAD = 100;
    private static final int BATCH = 1000;
    private static final int TOPICS = 1000;

    private LogBenchmark() {
    }

    public static void main(String[] args) throws Exception {
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
