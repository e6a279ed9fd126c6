package dev.tailbus.systemtest.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
        Launcher.Result unreachable = Launcher.run(Launcher.command("protobus-server", "--log", "kafka",
                "--kafka-bootstrap", "127.0.0.1:1", "--kafka-timeout", "2"), new byte[0], Duration.ofSeconds(30));
        assertThat(unreachable.exitStatus()).isEqualTo(1);
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
