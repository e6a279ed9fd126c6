package dev.tailbus.systemtest.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.kafka.KafkaTestBroker;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.StartedProcesses;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code protobus-server --log kafka} as a user runs it: gateway processes of the real launcher
 * in front of a real broker (one child JVM for the class), {@code tailbus publish} and
 * {@code tailbus subscribe} processes as clients.
 */
class KafkaGatewaySystemTest {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern TOKEN = Pattern.compile("\"resume_token\":\"([A-Za-z0-9_-]+)\"");
    private static final Pattern TEXT = Pattern.compile("\"payload_text\":\"([^\"]*)\"");

    @TempDir
    static Path brokerDir;
    static KafkaTestBroker broker;

    @RegisterExtension
    final StartedProcesses processes = new StartedProcesses();

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaTestBroker.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.stop();
        }
    }

    /** A gateway process; its port, read from the line it logs. */
    record Gateway(Process process, int port) {
        String address() {
            return "127.0.0.1:" + port;
        }
    }

    Gateway gateway(String prefix, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--address", "127.0.0.1:0", "--log", "kafka",
                "--kafka-bootstrap", broker.bootstrap(), "--kafka-topic-prefix", prefix));
        args.addAll(List.of(more));
        Process p = processes.start(Launcher.command("protobus-server", args.toArray(String[]::new)));
        Launcher.drain(p.getInputStream());
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        int port = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        Launcher.drain(p.getErrorStream());
                        return Integer.parseInt(m.group(1));
                    }
                }
                throw new IllegalStateException("gateway ended before listening");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
        return new Gateway(p, port);
    }

    static Launcher.Result publish(Gateway g, String topic, List<String> lines) throws Exception {
        return Launcher.run(Launcher.command("tailbus", "publish", "-a", g.address(), "-t", topic),
                (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60));
    }

    static List<String> texts(String jsonLines) {
        return jsonLines.lines().map(l -> {
            Matcher m = TEXT.matcher(l);
            return m.find() ? m.group(1) : "?";
        }).toList();
    }

    static List<String> range(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "e" + i).toList();
    }

    @Test
    void shouldRefuseLocalStoreOptionsAndAnUnreachableClusterWithOneLine() throws Exception {
        long started = System.nanoTime();
        Launcher.Result unreachable = Launcher.run(Launcher.command("protobus-server", "--log", "kafka",
                "--kafka-bootstrap", "127.0.0.1:1", "--kafka-timeout", "2"), new byte[0], Duration.ofSeconds(30));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(unreachable.exitStatus()).isEqualTo(1);
        // the 2 s asked, the launcher's start and a margin for a loaded machine, far from Kafka's own minutes
        assertThat(took).as("bounded by --kafka-timeout").isLessThan(Duration.ofSeconds(20));
        assertThat(unreachable.stderr().strip().lines()).containsExactly(
                "tailbus protobus-server: cannot reach Kafka at 127.0.0.1:1 within 2 s");

        Launcher.Result local = Launcher.run(Launcher.command("protobus-server", "--log", "kafka",
                "--kafka-bootstrap", "127.0.0.1:1", "--rotate-size", "1M"), new byte[0], Duration.ofSeconds(30));
        assertThat(local.exitStatus()).isEqualTo(2);
        assertThat(local.stderr().strip().lines()).containsExactly(
                "tailbus protobus-server: --rotate-size is an option of the local store, not of --log kafka");
    }

    @Test
    void shouldContinueThroughTheOtherGatewayAfterTheOneASubscriberWasOnIsKilled() throws Exception {
        Gateway a = gateway("sys1-");
        Gateway b = gateway("sys1-");
        assertThat(publish(a, "k/x", range(0, 10)).exitStatus()).isZero();

        Launcher.Result first = Launcher.run(Launcher.command("tailbus", "subscribe", "-a", b.address(),
                "--history", "100", "-n", "6", "k/"), new byte[0], Duration.ofSeconds(60));
        assertThat(first.exitStatus()).as(first.stderr()).isZero();
        assertThat(texts(first.stdoutText())).isEqualTo(range(0, 6));
        Matcher token = TOKEN.matcher(first.stdoutText().lines().toList().get(5));
        assertThat(token.find()).isTrue();

        // B acknowledges events, then dies by SIGKILL: what it acknowledged is in Kafka
        assertThat(publish(b, "k/x", range(10, 13)).exitStatus()).isZero();
        b.process().destroyForcibly();
        assertThat(b.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(publish(a, "k/x", range(13, 15)).exitStatus()).isZero();

        Launcher.Result rest = Launcher.run(Launcher.command("tailbus", "subscribe", "-a", a.address(),
                "--resume", token.group(1), "-n", "9", "k/"), new byte[0], Duration.ofSeconds(60));
        assertThat(rest.exitStatus()).as(rest.stderr()).isZero();
        assertThat(texts(rest.stdoutText())).isEqualTo(range(6, 15));

        Launcher.Result topics = Launcher.run("topics", "-a", a.address(), "k/");
        assertThat(topics.stdoutText()).contains("k/x").containsPattern("k/x\\s+15\\s");
    }

    /** Records in the Kafka topics of {@code prefix} (data topics, not the code registry), per topic in offset order. */
    static java.util.Map<String, List<byte[]>> records(String prefix) {
        java.util.Map<String, List<byte[]>> out = new java.util.TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(java.util.Map.of("bootstrap.servers",
                broker.bootstrap()), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.listTopics(Duration.ofSeconds(10)).values().stream()
                    .flatMap(List::stream).filter(p -> p.topic().startsWith(prefix) && !p.topic().contains("__"))
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            java.util.Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.computeIfAbsent(r.topic(), t -> new ArrayList<>()).add(r.value());
                }
            }
        }
        return out;
    }

    static long count(java.util.Map<String, List<byte[]>> records) {
        return records.values().stream().mapToLong(List::size).sum();
    }

    @Test
    void shouldContinueAnExportKilledMidwayWithoutLosingOrRepeatingARecord() throws Exception {
        Path store = java.nio.file.Files.createDirectories(brokerDir.resolve("export-store"));
        int n = 20_000;
        long t0 = 1_700_000_000_000_000_000L;
        int exEvents = 0;
        try (EventLog log = EventLog.open(LogConfig.builder(store).pattern("all:.*").pattern("{topic}:ex/")
                .rotateAboveBytes(256 << 10).build())) {
            List<EventToAppend> batch = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String topic = i % 2 == 0 ? "ex/" + (i % 3) : "other";
                exEvents += topic.startsWith("ex/") ? 1 : 0;
                long at = t0 + i * 1_000L;
                batch.add(new EventToAppend(topic, at, EventWire.minimalEvent(topic, at, new byte[64])));
                if (batch.size() == 1000) {
                    log.append(batch);
                    batch = new ArrayList<>();
                }
            }
        }
        long expected = n + exEvents;
        List<String> export = List.of("store", "export", "--store-root", store.toString(), "--store-pattern", "all:.*",
                "--store-pattern", "{topic}:ex/", "--kafka-bootstrap", broker.bootstrap(), "--kafka-topic-prefix", "sys3-");
        // slowed down (small requests, one at a time), so that the kill lands in the middle of the copy
        List<String> slow = new ArrayList<>(export);
        slow.addAll(List.of("--kafka-property", "batch.size=1024", "--kafka-property", "linger.ms=0",
                "--kafka-property", "max.in.flight.requests.per.connection=1"));
        Process first = processes.start(Launcher.command("tailbus", slow.toArray(String[]::new)));
        Launcher.drain(first.getInputStream());
        Launcher.drain(first.getErrorStream());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> count(records("sys3-")) >= 300);
        first.destroyForcibly();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        // what the broker had read from the killed process's socket lands too: counted once it holds still
        long[] seen = {-1};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            long now = count(records("sys3-"));
            boolean still = now == seen[0];
            seen[0] = now;
            return still;
        });
        long copiedBeforeKill = seen[0];
        assertThat(copiedBeforeKill).as("killed in the middle").isBetween(300L, expected - 1);

        Launcher.Result second = Launcher.run(Launcher.command("tailbus", export.toArray(String[]::new)), new byte[0],
                Duration.ofSeconds(120));
        assertThat(second.exitStatus()).as(second.stderr()).isZero();
        java.util.Map<String, List<byte[]>> there = records("sys3-");
        assertThat(count(there)).as("every record once").isEqualTo(expected);
        EventWire.Fields fields = new EventWire.Fields();
        for (java.util.Map.Entry<String, List<byte[]>> topic : there.entrySet()) {
            long last = 0;
            for (byte[] value : topic.getValue()) {
                assertThat(EventWire.parse(value, 0, value.length, fields)).isTrue();
                assertThat(fields.position).as("%s: local positions in order, none twice", topic.getKey())
                        .isGreaterThan(last);
                last = fields.position;
            }
        }
        assertThat(there.get("sys3-all")).hasSize(n);
        assertThat(second.stdoutText()).contains("exported " + n + " events: " + (expected - copiedBeforeKill)
                + " records copied, " + copiedBeforeKill + " already there");
    }

    @Test
    void shouldDeliverEveryEventOfStoredAndUnstoredTopicsPublishedAtOnceExactlyOnce() throws Exception {
        int each = 2000;
        Gateway g = gateway("sys2-", "--store-pattern", "kept:kept\\.");
        List<BusEvent> got = new CopyOnWriteArrayList<>();
        try (BusSubscriber subscriber = BusSubscriber.builder(g.address()).topics("(kept|live)\\.").start(got::add);
             BusPublisher probe = BusPublisher.builder(g.address()).build()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                probe.publish(BusEvent.of("live.probe", new byte[] {'p'}));
                return !got.isEmpty();
            });
            List<CompletableFuture<Launcher.Result>> runs = new ArrayList<>();
            // two unstored topics: their appends overlap, and none of their events has a position
            for (String topic : List.of("kept.a", "live.b", "live.c")) {
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return publish(g, topic, range(0, each));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (CompletableFuture<Launcher.Result> run : runs) {
                Launcher.Result r = run.get(120, TimeUnit.SECONDS);
                assertThat(r.exitStatus()).as(r.stderr()).isZero();
            }
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    got.stream().filter(e -> !e.topic().equals("live.probe")).count() >= 3L * each);
            // a log of partitions has no order across topics: each topic's own order, every event once
            for (String topic : List.of("kept.a", "live.b", "live.c")) {
                assertThat(got.stream().filter(e -> e.topic().equals(topic))
                        .map(e -> new String(e.payloadBytes(), StandardCharsets.UTF_8)).toList())
                        .as(topic).isEqualTo(range(0, each));
            }
        }
    }
}
