package dev.tailbus.systemtest.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.ProtobusServerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loss, tried as a user would: {@code protobus-server --store-pattern 'kept:kept\.'}
 * (so {@code live.*} is not stored), {@code tailbus subscribe '(kept|live)\.'} and a library
 * subscriber, two {@code tailbus publish} processes sending to {@code kept.a} and {@code live.b}
 * at the same time, then a restart of the server and the same again: both subscribers print
 * every event of both topics once, in order.
 */
class MergedTopicsRestartTest {
    private static final int EACH = 2000;

    @TempDir
    Path root;
    @TempDir
    Path work;

    private static String lines(int from, int to) {
        return IntStream.range(from, to).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    /** Both publishers at once, as two processes; waits for both to succeed. */
    private static void publishBoth(String address, int from, int to) throws Exception {
        List<CompletableFuture<Launcher.Result>> runs = new ArrayList<>();
        for (String topic : List.of("kept.a", "live.b")) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return ClientCommands.run(lines(from, to), "publish", "--topic", topic, "--batch", "20",
                            "--address", address);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (CompletableFuture<Launcher.Result> run : runs) {
            Launcher.Result r = run.get(120, TimeUnit.SECONDS);
            assertThat(r.exitStatus()).as(r.stderr()).isZero();
        }
    }

    private static List<JsonObject> printed(Path file) throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.endsWith("}")) {
                out.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        return out;
    }

    private static long count(List<String> topics) {
        return topics.stream().filter(t -> !t.equals("kept.probe")).count();
    }

    /** Each topic's payloads are 0..total-1 in order, and the positions only grow. */
    private static void assertEveryEventOnceInOrder(List<String> topics, List<String> texts, List<Long> positions,
                                                    int total) {
        for (String topic : List.of("kept.a", "live.b")) {
            List<String> of = new ArrayList<>();
            for (int i = 0; i < topics.size(); i++) {
                if (topics.get(i).equals(topic)) {
                    of.add(texts.get(i));
                }
            }
            assertThat(of).as(topic).isEqualTo(IntStream.range(0, total).mapToObj(Integer::toString).toList());
        }
        for (int i = 1; i < positions.size(); i++) {
            if (positions.get(i) <= positions.get(i - 1)) {
                assertThat(positions.get(i)).as("position after %d", positions.get(i - 1)).isGreaterThan(positions.get(i - 1));
            }
        }
    }

    @Test
    void shouldPrintEveryEventOfStoredAndUnstoredTopicsOnceInOrderThroughARestart() throws Exception {
        String[] pattern = {"--store-pattern", "kept:kept\\."};
        ProtobusServerProcess server = ProtobusServerProcess.start(root, pattern);
        int port = server.port();
        String address = "127.0.0.1:" + port;
        Path out = work.resolve("subscribe.jsonl");
        Process cli = ClientCommands.tailbus("subscribe", "(kept|live)\\.", "--format", "json", "--address", address)
                .redirectOutput(out.toFile()).redirectError(work.resolve("subscribe.err").toFile()).start();
        List<BusEvent> library = new CopyOnWriteArrayList<>();
        try (BusSubscriber subscriber = BusSubscriber.builder(address).topics("(kept|live)\\.").start(library::add);
             BusPublisher probe = BusPublisher.builder(address).build()) {
            // both are live once a probe shows up in each
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                probe.publish(BusEvent.of("kept.probe", new byte[] {'p'}));
                return !library.isEmpty() && Files.size(out) > 0;
            });
            publishBoth(address, 0, EACH);
            await().atMost(Duration.ofSeconds(60)).until(() -> count(library.stream().map(BusEvent::topic).toList()) == 2L * EACH);

            assertThat(server.stop()).isZero();
            server = ProtobusServerProcess.startOn(port, root, List.of(), pattern);
            // at once, while the subscribers are still calling again
            publishBoth(address, EACH, 2 * EACH);
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    count(library.stream().map(BusEvent::topic).toList()) == 4L * EACH
                            && count(printed(out).stream().map(j -> j.get("topic").getAsString()).toList()) == 4L * EACH);
            assertThat(subscriber.reconnects()).isPositive();

            List<BusEvent> got = library.stream().filter(e -> !e.topic().equals("kept.probe")).toList();
            assertEveryEventOnceInOrder(got.stream().map(BusEvent::topic).toList(),
                    got.stream().map(e -> new String(e.payloadBytes(), StandardCharsets.UTF_8)).toList(),
                    got.stream().map(BusEvent::position).toList(), 2 * EACH);
            List<JsonObject> lines = printed(out).stream()
                    .filter(j -> !j.get("topic").getAsString().equals("kept.probe")).toList();
            assertEveryEventOnceInOrder(lines.stream().map(j -> j.get("topic").getAsString()).toList(),
                    lines.stream().map(j -> j.get("payload_text").getAsString()).toList(),
                    lines.stream().map(j -> j.get("position").getAsLong()).toList(), 2 * EACH);
        } finally {
            cli.toHandle().destroy();
            cli.waitFor(30, TimeUnit.SECONDS);
            cli.destroyForcibly();
            server.close();
        }
        assertThat(Files.readString(work.resolve("subscribe.err"))).doesNotContain("Exception");
    }
}
