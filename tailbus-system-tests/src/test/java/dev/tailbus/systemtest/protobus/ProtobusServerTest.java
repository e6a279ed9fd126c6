package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusClients.event;
import static dev.tailbus.systemtest.protobus.ProtobusClients.publish;
import static dev.tailbus.systemtest.protobus.ProtobusClients.request;
import static dev.tailbus.systemtest.protobus.ProtobusClients.seq;
import static dev.tailbus.systemtest.protobus.ProtobusClients.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Timestamp;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.systemtest.ProtobusServerProcess;
import dev.tailbus.systemtest.protobus.ProtobusClients.Subscriber;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** protobus-server as a real process, driven by grpc-java clients over 127.0.0.1. */
class ProtobusServerTest {
    @TempDir
    Path root;

    @Test
    void shouldRoundTripEveryFieldFromPublisherToSubscriberAndStoreTheReferenceRecordFormat() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ManagedChannel channel = server.channel();
            EncapsulatedEvent sent = event("sensors/t1", 7, 100).toBuilder()
                    .putTags("unit", "kelvin")
                    .setPayloadSize(999_999) // the server overrides what a client claims
                    .setServerReceiveTime(Timestamp.newBuilder().setSeconds(5))
                    .setPosition(12345)
                    .build();
            long before = nanos(Instant.now());
            Status status = publish(channel, List.of(sent));
            long after = nanos(Instant.now());
            assertThat(status.getCode()).isZero();

            Subscriber sub = subscribe(channel, request(1, "sensors/"));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> sub.events.size() == 1);
            EncapsulatedEvent got = sub.events.get(0);
            assertThat(got.getTopic()).isEqualTo("sensors/t1");
            assertThat(got.getTagsMap()).containsEntry("seq", "7").containsEntry("unit", "kelvin").hasSize(2);
            assertThat(got.getClientEventTime()).isEqualTo(sent.getClientEventTime());
            assertThat(got.getClientTransmitTime()).isEqualTo(sent.getClientTransmitTime());
            assertThat(got.getPayload()).isEqualTo(sent.getPayload());
            assertThat(got.getPayloadSize()).isEqualTo(sent.getPayload().getSerializedSize());
            long received = got.getServerReceiveTime().getSeconds() * 1_000_000_000L + got.getServerReceiveTime().getNanos();
            assertThat(received).isBetween(before, after);
            assertThat(got.getPosition()).isEqualTo(1);

            // The reference's record format: 4-byte little-endian length, then the event.
            byte[] file = Files.readAllBytes(root.resolve("sensors/t1.pb"));
            int length = ByteBuffer.wrap(file, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            assertThat(file).hasSize(4 + length);
            EncapsulatedEvent stored = EncapsulatedEvent.parseFrom(ByteBuffer.wrap(file, 4, length));
            assertThat(stored).isEqualTo(got);
            sub.cancel();
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void shouldDeliverHistoryThenLiveWithoutGapOrDuplicateWhilePublishersAreBusy() throws Exception {
        int perTopic = 3000;
        List<String> topics = List.of("busy/a", "busy/b", "busy/c");
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ManagedChannel channel = server.channel();
            ExecutorService pool = Executors.newFixedThreadPool(topics.size());
            List<Future<?>> publishers = new ArrayList<>();
            for (String topic : topics) {
                publishers.add(pool.submit(() -> {
                    for (long chunk = 0; chunk < perTopic; chunk += 100) {
                        long from = chunk;
                        publish(channel, LongStream.range(from, from + 100).mapToObj(i -> event(topic, i, 16)).toList());
                    }
                    return null;
                }));
            }
            // Subscribers join while the publishers are busy, each with some history.
            List<Subscriber> subs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int start = i;
                await().atMost(ProtobusServerProcess.timeout())
                        .until(() -> Files.exists(root.resolve("busy/c.pb")) && Files.size(root.resolve("busy/c.pb")) > 2000L * start);
                subs.add(subscribe(channel, request(5 + i * 50, "busy/")));
            }
            // A depth above every topic's count: the whole topics, streamed from the log.
            Subscriber whole = subscribe(channel, request(1_000_000, "busy/"));
            subs.add(whole);
            for (Future<?> p : publishers) {
                p.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            for (Subscriber sub : subs) {
                await().atMost(ProtobusServerProcess.timeout()).until(() -> lastSeqs(sub).values().stream()
                        .allMatch(last -> last == perTopic - 1) && lastSeqs(sub).size() == topics.size());
                Map<String, List<Long>> byTopic = new HashMap<>();
                for (EncapsulatedEvent e : sub.events) {
                    byTopic.computeIfAbsent(e.getTopic(), t -> new ArrayList<>()).add(seq(e));
                }
                for (List<Long> seqs : byTopic.values()) {
                    long first = seqs.get(0);
                    assertThat(seqs).containsExactlyElementsOf(LongStream.range(first, perTopic).boxed().toList());
                }
                if (sub == whole) {
                    assertThat(byTopic.values()).allSatisfy(seqs -> assertThat(seqs.get(0)).isZero());
                }
                List<Long> positions = sub.events.stream().map(EncapsulatedEvent::getPosition).toList();
                assertThat(positions).isSorted().doesNotHaveDuplicates();
                sub.cancel();
            }
        }
    }

    private static Map<String, Long> lastSeqs(Subscriber sub) {
        Map<String, Long> last = new HashMap<>();
        for (EncapsulatedEvent e : sub.events) {
            last.put(e.getTopic(), seq(e));
        }
        return last;
    }

    @Test
    void shouldStoreATopicTwiceWithTwoPatternsAndDeliverItOnce() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root,
                "--store-pattern", "all:.*", "--store-pattern", "{topic}:.*")) {
            ManagedChannel channel = server.channel();
            publish(channel, LongStream.range(0, 10).mapToObj(i -> event("twice", i, 8)).toList());
            assertThat(records(root.resolve("all.pb"))).hasSize(10);
            assertThat(records(root.resolve("twice.pb"))).hasSize(10);
            Subscriber sub = subscribe(channel, request(100, "tw"));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> sub.events.size() >= 10);
            // History of 1 tells when the second subscription is live: it sees event 9 first.
            Subscriber live = subscribe(channel, request(1, "tw"));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> !live.events.isEmpty());
            publish(channel, List.of(event("twice", 10, 8)));
            await().atMost(ProtobusServerProcess.timeout()).until(() -> sub.events.size() >= 11);
            await().atMost(ProtobusServerProcess.timeout()).until(() -> live.events.size() >= 2);
            assertThat(sub.events.stream().map(ProtobusClients::seq).toList())
                    .containsExactlyElementsOf(LongStream.range(0, 11).boxed().toList());
            assertThat(live.events.stream().map(ProtobusClients::seq).toList()).containsExactly(9L, 10L);
        }
    }

    @Test
    void shouldResumeAfterRestartWithNothingLostOrRepeated() throws Exception {
        long lastSeen;
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ManagedChannel channel = server.channel();
            publish(channel, LongStream.range(0, 100).mapToObj(i -> event(i % 2 == 0 ? "r/even" : "r/odd", i, 8)).toList());
            Subscriber sub = ProtobusClients.subscribeSlowly(channel, SubscriptionRequest.newBuilder().addTopics("r/")
                    .setOptions(SubscriptionOptions.newBuilder().setAfterPosition(0).setSinceTime(Timestamp.getDefaultInstance()))
                    .build(), 40);
            await().atMost(ProtobusServerProcess.timeout()).until(() -> sub.events.size() == 40);
            lastSeen = sub.events.get(39).getPosition();
            assertThat(sub.events.stream().map(ProtobusClients::seq).toList())
                    .containsExactlyElementsOf(LongStream.range(0, 40).boxed().toList());
            assertThat(server.stop()).isZero();
        }
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ManagedChannel channel = server.channel();
            publish(channel, LongStream.range(100, 150).mapToObj(i -> event(i % 2 == 0 ? "r/even" : "r/odd", i, 8)).toList());
            Subscriber resumed = subscribe(channel, SubscriptionRequest.newBuilder().addTopics("r/")
                    .setOptions(SubscriptionOptions.newBuilder().setAfterPosition(lastSeen)).build());
            await().atMost(ProtobusServerProcess.timeout()).until(() -> resumed.events.size() >= 110);
            assertThat(resumed.events.stream().map(ProtobusClients::seq).toList())
                    .containsExactlyElementsOf(LongStream.range(40, 150).boxed().toList());
        }
    }

    @Test
    void shouldGoOnServingAfterASighupWithNothingToReread() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(server.process().pid())).start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(kill.exitValue()).isZero();
            await().atMost(ProtobusServerProcess.timeout())
                    .until(() -> server.stderr().contains("SIGHUP: nothing to reread (no --auth-tokens)"));
            publish(server.channel(), List.of(event("h", 1, 8)));
            assertThat(server.process().isAlive()).isTrue();
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void shouldPublishAndSubscribeInBatchesAsWithSingleEvents() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ManagedChannel channel = server.channel();
            CompletableFuture<Status> answer = new CompletableFuture<>();
            StreamObserver<EventBatch> stream = ProtobusServiceGrpc.newStub(channel).publishBatch(StatusAnswer.into(answer));
            for (int b = 0; b < 10; b++) {
                EventBatch.Builder batch = EventBatch.newBuilder();
                for (int i = 0; i < 500; i++) {
                    batch.addEvents(event("batch", b * 500L + i, 100));
                }
                stream.onNext(batch.build());
            }
            stream.onCompleted();
            assertThat(answer.get(30, TimeUnit.SECONDS).getCode()).isZero();
            List<EncapsulatedEvent> got = new ArrayList<>();
            var it = ProtobusServiceGrpc.newBlockingStub(channel).subscribeBatch(request(5000, "batch"));
            while (got.size() < 5000) {
                got.addAll(it.next().getEventsList());
            }
            assertThat(got.stream().map(ProtobusClients::seq).toList())
                    .containsExactlyElementsOf(LongStream.range(0, 5000).boxed().toList());
            assertThat(got.get(0).getPayloadSize()).isEqualTo(got.get(0).getPayload().getSerializedSize());
            assertThat(got.get(4999).getPosition()).isEqualTo(5000);
        }
    }

    @Test
    void shouldServeAHundredConcurrentSubscribers() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            List<ManagedChannel> channels = List.of(server.channel(), server.channel(), server.channel(), server.channel());
            List<Subscriber> subs = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                subs.add(subscribe(channels.get(i % channels.size()), request(0, "many")));
            }
            // All subscriptions are live once each sees a marker.
            await().atMost(ProtobusServerProcess.timeout()).until(() -> {
                publish(channels.get(0), List.of(event("many-marker", -1, 1)));
                return subs.stream().allMatch(s -> !s.events.isEmpty());
            });
            publish(channels.get(0), LongStream.range(0, 1000).mapToObj(i -> event("many", i, 64)).toList());
            for (Subscriber s : subs) {
                await().atMost(ProtobusServerProcess.timeout())
                        .until(() -> s.events.stream().filter(e -> e.getTopic().equals("many")).count() == 1000);
                assertThat(s.events.stream().filter(e -> e.getTopic().equals("many")).map(ProtobusClients::seq).toList())
                        .containsExactlyElementsOf(LongStream.range(0, 1000).boxed().toList());
            }
            subs.forEach(Subscriber::cancel);
        }
    }

    /** The events of a store file in the reference format. */
    static List<EncapsulatedEvent> records(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<EncapsulatedEvent> out = new ArrayList<>();
        while (b.remaining() >= 4) {
            int length = b.getInt();
            byte[] body = new byte[length];
            b.get(body);
            out.add(EncapsulatedEvent.parseFrom(body));
        }
        assertThat(b.remaining()).isZero();
        return out;
    }

    static long nanos(Instant i) {
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
