package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusClients.event;
import static dev.tailbus.systemtest.protobus.ProtobusClients.publish;
import static dev.tailbus.systemtest.protobus.ProtobusClients.request;
import static dev.tailbus.systemtest.protobus.ProtobusClients.seq;
import static dev.tailbus.systemtest.protobus.ProtobusClients.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.systemtest.ProtobusServerProcess;
import dev.tailbus.systemtest.protobus.ProtobusClients.Subscriber;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Slow subscribers, unstored topics and shutdown under load, bounded in count and time. */
class ProtobusLoadTest {
    @TempDir
    Path root;

    @Test
    void shouldServeASlowSubscriberFromTheLogWithBoundedMemoryAndLoseNothing() throws Exception {
        int events = 120_000;
        int size = 1000; // 120 MB through a server limited to a 64 MB heap
        // Direct memory (the transport's buffers) gets its own bound: by default it is the heap's,
        // and gRPC's flow-control window alone can take a good part of 64 MB under this load.
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root,
                List.of("-Xmx64m", "-XX:MaxDirectMemorySize=128m"))) {
            ManagedChannel channel = server.channel();
            Subscriber slow = ProtobusClients.subscribeSlowly(channel, request(0, "slow$"), 1);
            Subscriber fast = subscribe(server.channel(), request(0, "slow$"));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> {
                publish(channel, List.of(event("slow-marker", 0, 1)));
                return server.process().isAlive();
            });
            publishInBatches(channel, "slow", 0, events, size);
            await().atMost(Duration.ofSeconds(60)).conditionEvaluationListener(c -> System.out.println(
                    "fast " + fast.events.size() + " slow " + slow.events.size() + " " + fast.done))
                    .until(() -> fast.events.size() == events);
            assertThat(slow.events).hasSizeLessThanOrEqualTo(1);
            slow.request(Integer.MAX_VALUE);
            await().atMost(Duration.ofSeconds(60)).until(() -> slow.events.size() == events);
            assertThat(slow.events.stream().map(ProtobusClients::seq).toList())
                    .containsExactlyElementsOf(LongStream.range(0, events).boxed().toList());
            assertThat(fast.events.get(events - 1).getPayloadSize()).isGreaterThan(size);
            assertThat(server.process().isAlive()).isTrue();
            slow.cancel();
            fast.cancel();
            assertThat(server.stop()).isZero();
            assertThat(server.stderr()).doesNotContain("OutOfMemoryError");
        }
    }

    @Test
    void shouldDeliverUnstoredTopicsLiveAndEndASubscriberThatFallsTooFarBehindOnThem() throws Exception {
        int events = 20_000;
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root, "--store-pattern", "kept:kept")) {
            ManagedChannel channel = server.channel();
            Subscriber stuck = ProtobusClients.subscribeSlowly(channel, request(0, "fleeting"), 0);
            Subscriber reader = subscribe(server.channel(), request(0, "fleeting"));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> {
                publish(channel, List.of(event("fleeting", -1, 1)));
                return !reader.events.isEmpty();
            });
            // A reader that keeps up gets every event; one that reads nothing falls behind by more
            // than its 4 MiB allowance.
            for (long from = 0; from < events; from += 1000) {
                publishInBatches(channel, "fleeting", from, from + 1000, 400);
                long expected = from + 1000 + countMarkers(reader);
                await().atMost(ProtobusServerProcess.timeout()).until(() -> reader.events.size() >= expected);
            }
            List<Long> seqs = reader.events.stream().map(ProtobusClients::seq).filter(s -> s >= 0).toList();
            assertThat(seqs).containsExactlyElementsOf(LongStream.range(0, events).boxed().toList());
            stuck.request(Integer.MAX_VALUE);
            await().atMost(ProtobusServerProcess.timeout()).until(stuck.done::isDone);
            assertThat(stuck.error().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
            assertThat(stuck.error().getDescription()).contains("fell behind").contains("no store pattern");
            assertThat(Files.exists(root.resolve("fleeting.pb"))).isFalse();
            reader.cancel();
        }
    }

    private static long countMarkers(Subscriber s) {
        return s.events.stream().filter(e -> seq(e) < 0).count();
    }

    @Test
    void shouldStopGracefullyOnSigtermUnderLoadAndKeepEveryEventItReceived() throws Exception {
        List<String> topics = List.of("load/a", "load/b", "load/c");
        Map<String, Long> acknowledged = new HashMap<>();
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ExecutorService pool = Executors.newFixedThreadPool(topics.size());
            AtomicBoolean stopping = new AtomicBoolean();
            List<Future<Long>> publishers = new ArrayList<>();
            for (String topic : topics) {
                ManagedChannel channel = server.channel();
                publishers.add(pool.submit(() -> {
                    long acked = 0;
                    try {
                        for (long from = 0; from < 2_000_000 && !stopping.get(); from += 200) {
                            long start = from;
                            publish(channel, LongStream.range(start, start + 200).mapToObj(i -> event(topic, i, 50)).toList());
                            acked = start + 200;
                        }
                    } catch (Exception e) {
                        // the server went away: what it acknowledged must survive
                    }
                    return acked;
                }));
            }
            await().atMost(ProtobusServerProcess.timeout()).until(() -> Files.exists(root.resolve("load/c.pb"))
                    && Files.size(root.resolve("load/c.pb")) > 200_000);
            Subscriber watcher = subscribe(server.channel(), request(0, "load/"));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> !watcher.events.isEmpty());
            assertThat(server.stop()).isZero();
            stopping.set(true);
            for (int i = 0; i < topics.size(); i++) {
                acknowledged.put(topics.get(i), publishers.get(i).get(60, TimeUnit.SECONDS));
            }
            pool.shutdown();
            await().atMost(ProtobusServerProcess.timeout()).until(watcher.done::isDone);
            assertThat(watcher.error()).as("a subscription ends cleanly on shutdown").isNull();
            assertThat(server.stderr()).contains("stopped; store closed").doesNotContain("Exception");
        }
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            Subscriber all = subscribe(server.channel(), request(Integer.MAX_VALUE, "load/"));
            long total = 0;
            for (String topic : topics) {
                total += ProtobusServerTest.records(root.resolve(topic + ".pb")).size();
            }
            long expected = total;
            await().atMost(ProtobusServerProcess.timeout()).until(() -> all.events.size() == expected);
            Map<String, List<Long>> byTopic = new HashMap<>();
            for (EncapsulatedEvent e : all.events) {
                byTopic.computeIfAbsent(e.getTopic(), t -> new ArrayList<>()).add(seq(e));
            }
            for (String topic : topics) {
                List<Long> seqs = byTopic.getOrDefault(topic, List.of());
                assertThat(seqs).as("a gapless prefix of what %s sent", topic)
                        .containsExactlyElementsOf(LongStream.range(0, seqs.size()).boxed().toList());
                assertThat((long) seqs.size()).isGreaterThanOrEqualTo(acknowledged.get(topic));
            }
            all.cancel();
        }
    }

    static void publishInBatches(ManagedChannel channel, String topic, long from, long to, int size) throws Exception {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> stream = ProtobusServiceGrpc.newStub(channel)
                .publishBatch(StatusAnswer.into(answer));
        for (long b = from; b < to; b += 1000) {
            EventBatch.Builder batch = EventBatch.newBuilder();
            for (long i = b; i < Math.min(to, b + 1000); i++) {
                batch.addEvents(event(topic, i, size));
            }
            stream.onNext(batch.build());
        }
        stream.onCompleted();
        assertThat(answer.get(60, TimeUnit.SECONDS).getCode()).isZero();
    }
}
