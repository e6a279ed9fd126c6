package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stored ({@code kept.a}) and unstored ({@code live.b}) topics published at the same time to one
 * server, followed by the library, a fast generated stub and a generated stub that falls behind
 * the ring of recent events: each gets every event of every topic once, in position order.
 */
class OrderedDeliveryTest {
    private static final int EACH = 12_000;

    @TempDir
    Path root;
    ProtobusServer server;
    ManagedChannel channel;
    String address;

    @BeforeEach
    void start() {
        server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", 0),
                        LogConfig.builder(root).pattern("kept:kept\\.").build()));
        address = "127.0.0.1:" + server.port();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    /** A Subscribe call through the generated stub; while {@code held}, it asks for nothing more. */
    private static final class StubSubscriber implements ClientResponseObserver<SubscriptionRequest, EncapsulatedEvent> {
        final List<EncapsulatedEvent> events = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        final boolean slow;
        volatile ClientCallStreamObserver<SubscriptionRequest> call;
        volatile boolean held;

        StubSubscriber(boolean slow) {
            this.slow = slow;
            this.held = slow;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscriptionRequest> stream) {
            call = stream;
            stream.disableAutoRequestWithInitial(1);
        }

        @Override
        public void onNext(EncapsulatedEvent e) {
            events.add(e);
            if (!held) {
                call.request(1);
            }
        }

        void release() {
            held = false;
            call.request(Integer.MAX_VALUE);
        }

        @Override
        public void onError(Throwable t) {
            ended.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            ended.complete(null);
        }
    }

    private StubSubscriber subscribe(boolean slow) {
        StubSubscriber s = new StubSubscriber(slow);
        SubscriptionRequest request = SubscriptionRequest.newBuilder().addTopics("(kept|live)\\.").build();
        ProtobusServiceGrpc.newStub(channel).subscribe(request, s);
        return s;
    }

    /** An event with its sequence number in a tag; the stored topic's events fill most of a ring slot. */
    private static EncapsulatedEvent event(String topic, int seq) {
        String text = topic.startsWith("kept") ? (seq + " ").repeat(900 / (Integer.toString(seq).length() + 1)) : "" + seq;
        return EncapsulatedEvent.newBuilder().setTopic(topic).putTags("seq", Integer.toString(seq))
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(text, StandardCharsets.UTF_8))))
                .build();
    }

    /** Publishes EACH events one per message through the generated stub's Publish. */
    private void publishWithStub(String topic) {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        var stream = (ClientCallStreamObserver<EncapsulatedEvent>) ProtobusServiceGrpc.newStub(channel)
                .publish(StatusAnswer.into(answer));
        for (int i = 0; i < EACH; i++) {
            while (!stream.isReady()) {
                LockSupport.parkNanos(50_000);
            }
            stream.onNext(event(topic, i));
        }
        stream.onCompleted();
        assertThat(answer.join().getCode()).isZero();
    }

    private void publishWithLibrary(String topic) {
        try (BusPublisher publisher = BusPublisher.builder(address).maxBatchEvents(50).build()) {
            for (int i = 0; i < EACH; i++) {
                publisher.publishAsync(BusEvent.fromProto(event(topic, i)));
            }
        }
    }

    /** Every event of both topics once, in position order: the tags' sequence numbers per topic, positions rising. */
    private static void assertEveryEventOnceInOrder(List<String> topics, List<Integer> seqs, List<Long> positions) {
        assertThat(topics).hasSize(2 * EACH);
        for (String topic : List.of("kept.a", "live.b")) {
            List<Integer> of = new ArrayList<>();
            for (int i = 0; i < topics.size(); i++) {
                if (topics.get(i).equals(topic)) {
                    of.add(seqs.get(i));
                }
            }
            assertThat(of).as(topic).hasSize(EACH);
            for (int i = 0; i < EACH; i++) {
                if (of.get(i) != i) {
                    assertThat(of.get(i)).as("%s event %d", topic, i).isEqualTo(i);
                }
            }
        }
        for (int i = 1; i < positions.size(); i++) {
            if (positions.get(i) <= positions.get(i - 1)) {
                assertThat(positions.get(i)).as("position after %d", positions.get(i - 1)).isGreaterThan(positions.get(i - 1));
            }
        }
    }

    private static void assertStub(StubSubscriber s) {
        List<EncapsulatedEvent> got = List.copyOf(s.events);
        assertEveryEventOnceInOrder(got.stream().map(EncapsulatedEvent::getTopic).toList(),
                got.stream().map(e -> Integer.parseInt(e.getTagsOrThrow("seq"))).toList(),
                got.stream().map(EncapsulatedEvent::getPosition).toList());
    }

    @Test
    void shouldDeliverStoredAndUnstoredTopicsPublishedAtOnceExactlyOnceInPositionOrder() throws Exception {
        List<BusEvent> library = new CopyOnWriteArrayList<>();
        try (BusSubscriber subscriber = BusSubscriber.builder(address).topics("(kept|live)\\.").start(library::add)) {
            StubSubscriber fast = subscribe(false);
            StubSubscriber slow = subscribe(true);
            await().until(() -> server.activeCalls() == 3);

            CompletableFuture<Void> kept = CompletableFuture.runAsync(() -> publishWithLibrary("kept.a"));
            CompletableFuture<Void> live = CompletableFuture.runAsync(() -> publishWithStub("live.b"));
            kept.get(60, TimeUnit.SECONDS);
            live.get(60, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(60)).until(() -> library.size() >= 2 * EACH && fast.events.size() >= 2 * EACH);
            // the slow one has taken one event, and its cursor stopped when the transport filled:
            // what follows is no longer in the ring, it comes from the log and the unstored queue
            long behind = java.util.Arrays.stream(server.subscriptionPositions()).min().orElseThrow();
            assertThat(server.log().lastPosition() - behind).isGreaterThan(RecentEvents.SLOTS);
            assertThat(slow.events).hasSize(1);
            slow.release();
            await().atMost(Duration.ofSeconds(60)).until(() -> slow.events.size() >= 2 * EACH);

            assertEveryEventOnceInOrder(library.stream().map(BusEvent::topic).toList(),
                    library.stream().map(e -> Integer.parseInt(e.tags().get("seq"))).toList(),
                    library.stream().map(BusEvent::position).toList());
            assertStub(fast);
            assertStub(slow);
            assertThat(subscriber.lastPosition()).isEqualTo(library.getLast().position());
            assertThat(fast.ended).isNotDone();
            assertThat(slow.ended).isNotDone();
        }
    }
}
