package dev.tailbus.systemtest.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.systemtest.ProtobusServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client library across a restart of a real protobus-server process on the same port and store. */
class BusSubscriberReconnectTest {
    @TempDir
    Path root;

    private static void publish(String address, int from, int to) {
        try (BusPublisher publisher = BusPublisher.builder(address).maxBatchEvents(64).build()) {
            for (int i = from; i < to; i++) {
                publisher.publishAsync(BusEvent.of("restart/" + (i % 3), Integer.toString(i).getBytes(StandardCharsets.UTF_8))
                        .withTags(Map.of("seq", Integer.toString(i))));
            }
        }
    }

    private static List<Integer> seqs(List<BusEvent> events) {
        return events.stream().map(e -> Integer.parseInt(e.tags().get("seq"))).toList();
    }

    @Test
    void shouldContinueWithoutLossOrRepetitionWhileTheServerRestarts() throws Exception {
        ProtobusServerProcess server = ProtobusServerProcess.start(root);
        int port = server.port();
        String address = "127.0.0.1:" + port;
        List<BusEvent> received = new CopyOnWriteArrayList<>();
        List<BusEvent> fromStart = new CopyOnWriteArrayList<>();
        // one subscriber that sees events before the restart, one live subscriber that sees none before it
        try (BusSubscriber live = BusSubscriber.builder(address).topics("restart/").start(received::add)) {
            publish(address, 0, 500);
            await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 500);
            BusSubscriber quiet = BusSubscriber.builder(address).topics("restart/").start(fromStart::add);
            try (quiet) {
                assertThat(server.stop()).isZero();
                // published while the subscribers are cut off: after the restart, before they are back
                server = ProtobusServerProcess.startOn(port, root, List.of());
                publish(address, 500, 1000);
                await().atMost(Duration.ofSeconds(60)).until(() -> received.size() >= 1000 && fromStart.size() >= 500);
                publish(address, 1000, 1100);
                await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 1100 && fromStart.size() >= 600);
                assertThat(live.reconnects()).isPositive();
                assertThat(quiet.reconnects()).isPositive();
                assertThat(seqs(fromStart)).isEqualTo(IntStream.range(500, 1100).boxed().toList());
            }
            assertThat(seqs(received)).isEqualTo(IntStream.range(0, 1100).boxed().toList());
            long[] positions = received.stream().mapToLong(BusEvent::position).toArray();
            for (int i = 1; i < positions.length; i++) {
                assertThat(positions[i]).isGreaterThan(positions[i - 1]);
            }
            assertThat(live.lastPosition()).isEqualTo(positions[positions.length - 1]);
        } finally {
            server.close();
        }
    }
}
