package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusClients.event;
import static dev.tailbus.systemtest.protobus.ProtobusClients.publishBatch;
import static dev.tailbus.systemtest.protobus.ProtobusClients.request;
import static dev.tailbus.systemtest.protobus.ProtobusClients.seq;
import static dev.tailbus.systemtest.protobus.ProtobusClients.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.ProtobusServerProcess;
import dev.tailbus.systemtest.protobus.ProtobusClients.Subscriber;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * protobus-server at the shape people give it: one topic per sensor, 20,000 topics, each in its
 * own file (the default store pattern), on a 256 MB heap. Publishing, replaying every topic's
 * history and a history too deep for the server's limit; memory and descriptors stay bounded.
 */
class ProtobusManyTopicsTest {
    private static final int TOPICS = 20_000;
    /** Topics that get a second event, so that a history of depth 1 is not simply every event. */
    private static final int TWICE = 1_000;
    private static final int MAX_OPEN_FILES = 500;

    @TempDir
    Path root;

    @Test
    void shouldServeTwentyThousandTopicsInBoundedMemoryAndDescriptors() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root,
                List.of("-Xmx256m", "-XX:MaxDirectMemorySize=128m"),
                "--max-open-files", String.valueOf(MAX_OPEN_FILES), "--max-history-depth", "1000")) {
            ManagedChannel channel = server.channel();
            for (int round = 0; round < 2; round++) {
                for (int from = 0; from < (round == 0 ? TOPICS : TWICE); from += 1000) {
                    List<EncapsulatedEvent> batch = new ArrayList<>(1000);
                    for (int t = from; t < from + 1000; t++) {
                        batch.add(event("sensor/" + t, round, 40));
                    }
                    assertThat(publishBatch(channel, batch).getCode()).isZero();
                }
            }
            try (Stream<Path> files = Files.list(root.resolve("sensor"))) {
                assertThat(files.filter(p -> p.toString().endsWith(".pb")).count()).isEqualTo(TOPICS);
            }
            long pid = server.process().pid();
            assertThat(descriptors(pid)).isLessThan(MAX_OPEN_FILES + 200);

            // every topic's last event, each topic in order, nothing else
            Subscriber history = subscribe(channel, request(1, "sensor/"));
            await().atMost(Duration.ofSeconds(120)).until(() -> history.events.size() >= TOPICS
                    || history.done.isDone());
            assertThat(history.events).hasSize(TOPICS);
            Map<String, Long> seen = new HashMap<>();
            for (EncapsulatedEvent e : history.events) {
                assertThat(seen.put(e.getTopic(), seq(e))).as("one event of %s", e.getTopic()).isNull();
                int topic = Integer.parseInt(e.getTopic().substring("sensor/".length()));
                assertThat(seq(e)).as("the last event of %s", e.getTopic()).isEqualTo(topic < TWICE ? 1 : 0);
            }
            long previous = 0;
            for (EncapsulatedEvent e : history.events) {
                assertThat(e.getPosition()).isGreaterThan(previous);
                previous = e.getPosition();
            }
            history.cancel();

            Subscriber tooDeep = subscribe(channel, request(1001, "sensor/1"));
            await().atMost(ProtobusServerProcess.timeout()).until(tooDeep.done::isDone);
            assertThat(tooDeep.error().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(tooDeep.error().getDescription()).contains("1000").contains("--max-history-depth");

            assertThat(descriptors(pid)).isLessThan(MAX_OPEN_FILES + 200);
            assertThat(residentMiB(pid)).isLessThan(512);
            assertThat(server.process().isAlive()).isTrue();
            assertThat(server.stop()).isZero();
            assertThat(server.stderr()).doesNotContain("OutOfMemoryError").doesNotContain("Exception");
        }
    }

    @Test
    void shouldRefuseAnOpenFileLimitBelowEightOrAHistoryLimitBelowOneWithOneLine() throws Exception {
        Launcher.Result files = Launcher.run(Launcher.command("protobus-server", "--store-root", root.toString(),
                "--address", "127.0.0.1:0", "--max-open-files", "3"), new byte[0], ProtobusServerProcess.timeout());
        assertThat(files.exitStatus()).isEqualTo(2);
        assertThat(files.stderr().lines()).hasSize(1).first().asString().contains("--max-open-files must be at least 8");
        Launcher.Result depth = Launcher.run(Launcher.command("protobus-server", "--store-root", root.toString(),
                "--address", "127.0.0.1:0", "--max-history-depth", "0"), new byte[0], ProtobusServerProcess.timeout());
        assertThat(depth.exitStatus()).isEqualTo(2);
        assertThat(depth.stderr().lines()).hasSize(1).first().asString().contains("--max-history-depth must be at least 1");
    }

    private static long descriptors(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }

    private static long residentMiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }
}
