package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.ForwardingBusLog;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.TopicStats;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
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
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The subscriptions' lag ({@link ProtobusServer#subscriptionLags()}, the metrics' gauge) of a
 * subscriber whose client reads nothing, so that its cursor stands still once its transport is
 * full: counted from the first event it has yet to send, not from where its cursor stands; and
 * of one still starting, from its snapshot.
 */
class SubscriptionLagTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Larger than the client's window and the server's ready threshold together: the transport fills. */
    private static final int LARGE = 3 << 20;

    @TempDir
    Path root;
    ProtobusServer server;
    ManagedChannel channel;

    @BeforeEach
    void start() {
        server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                new ProtobusServerConfig(ListenAddress.parse("127.0.0.1:0"), LogConfig.of(root), 10, 8 << 20,
                        InstantSource.system()));
        // a fixed window of 64 KiB (no automatic tuning), so that the large event fills the transport
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .flowControlWindow(64 << 10).maxInboundMessageSize(16 << 20).build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void shouldNotCountEventsOfOtherTopicsAfterTheLastEventASubscriberOfARareTopicIsSent() throws Exception {
        List<EncapsulatedEvent> received = new CopyOnWriteArrayList<>();
        ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
        ProtobusServiceGrpc.newStub(channel).subscribe(SubscriptionRequest.newBuilder().addTopics("rare").build(),
                unread(received::add, call));
        await().atMost(WAIT).until(() -> server.openSubscriptions() == 1);

        publish(event("rare", LARGE));
        await().atMost(WAIT).until(() -> server.subscriptionPositions()[0] == 1);
        for (int i = 0; i < 100; i++) {
            publish(event("other", 10));
        }
        assertThat(server.log().lastPosition()).isEqualTo(101);
        // the cursor stands at the rare event: the transport is full, so it does not look further
        assertThat(server.subscriptionPositions()).containsExactly(1);
        assertThat(server.subscriptionLags()).as("nothing more to send").containsExactly(0);

        publish(event("rare", 10));
        for (int i = 0; i < 50; i++) {
            publish(event("other", 10));
        }
        assertThat(server.subscriptionPositions()).containsExactly(1);
        // behind from the rare event at 102 on: 102 to 152
        assertThat(server.subscriptionLags()).containsExactly(51);

        call[0].request(Integer.MAX_VALUE);
        await().atMost(WAIT).until(() -> received.size() == 2);
        await().atMost(WAIT).until(() -> server.subscriptionLags()[0] == 0);
        assertThat(server.subscriptionPositions()).containsExactly(152);
    }

    @Test
    void shouldCountAnEventWaitingForTheNextBatchMessageAsNotSent() throws Exception {
        ProtobusServiceGrpc.newStub(channel).subscribeBatch(SubscriptionRequest.newBuilder().addTopics("rare").build(),
                unread(batch -> { }, new ClientCallStreamObserver<?>[1]));
        await().atMost(WAIT).until(() -> server.openSubscriptions() == 1);
        // one append: the large event fills a message of its own, the small one waits for the next
        publish(event("rare", LARGE), event("rare", 10));
        await().atMost(WAIT).until(() -> server.subscriptionPositions()[0] == 2);
        for (int i = 0; i < 100; i++) {
            publish(event("other", 10));
        }
        assertThat(server.subscriptionPositions()).containsExactly(2);
        // the event at 2 is not sent: behind from it on, 2 to 102
        assertThat(server.subscriptionLags()).containsExactly(101);
    }

    @Test
    void shouldCountTheLastHistoryEventAsNotSentWhileItWaitsForTheNextBatchMessage() throws Exception {
        publish(event("rare", LARGE), event("rare", 10));
        ProtobusServiceGrpc.newStub(channel).subscribeBatch(SubscriptionRequest.newBuilder().addTopics("rare")
                        .setOptions(SubscriptionOptions.newBuilder().setHistoryDepth(2)).build(),
                unread(batch -> { }, new ClientCallStreamObserver<?>[1]));
        await().atMost(WAIT).until(() -> server.openSubscriptions() == 1 && server.subscriptionPositions()[0] == 2);
        // the history is handed out (the cursor is live), but its last event, 2, is not sent: 1 behind
        assertThat(server.subscriptionLags()).containsExactly(1);
    }

    @Test
    void shouldCountASubscriptionStillStartingFromItsSnapshot() throws Exception {
        for (int i = 0; i < 5; i++) {
            publish(event("t", 10));
        }
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
        // a log whose topic listing, which a history starts with, waits until the test lets it go
        CountDownLatch listing = new CountDownLatch(1);
        AtomicBoolean hold = new AtomicBoolean();
        BusLog slow = new ForwardingBusLog(EventLog.open(LogConfig.of(root))) {
            @Override
            public List<TopicStats> topics() {
                if (hold.get()) {
                    try {
                        listing.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.topics();
            }
        };
        server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                ProtobusServerConfig.of(ListenAddress.parse("127.0.0.1:0"), LogConfig.of(root)), slow);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        hold.set(true);
        try {
            List<EncapsulatedEvent> received = new CopyOnWriteArrayList<>();
            ProtobusServiceGrpc.newStub(channel).subscribe(SubscriptionRequest.newBuilder().addTopics("t")
                    .setOptions(SubscriptionOptions.newBuilder().setHistoryDepth(1)).build(), new StreamObserver<>() {
                        @Override
                        public void onNext(EncapsulatedEvent value) {
                            received.add(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            await().atMost(WAIT).until(() -> server.openSubscriptions() == 1);
            assertThat(server.log().lastPosition()).isEqualTo(5);
            assertThat(server.subscriptionLags()).as("registered, its start not yet open").containsExactly(0);
        } finally {
            listing.countDown();
        }
    }

    private static EncapsulatedEvent event(String topic, int size) {
        return EncapsulatedEvent.newBuilder().setTopic(topic)
                .setPayload(Any.newBuilder().setValue(ByteString.copyFrom(new byte[size]))).build();
    }

    /**
     * A subscriber's observer that asks for no message (the transport fills and the server's
     * cursor stands still) until the test asks through {@code call[0]}.
     */
    private static <T> ClientResponseObserver<SubscriptionRequest, T> unread(java.util.function.Consumer<T> onNext,
                                                                           ClientCallStreamObserver<?>[] call) {
        return new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<SubscriptionRequest> stream) {
                stream.disableAutoRequestWithInitial(0);
                call[0] = stream;
            }

            @Override
            public void onNext(T value) {
                onNext.accept(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }

    private void publish(EncapsulatedEvent... events) throws Exception {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> stream = ProtobusServiceGrpc.newStub(channel).publishBatch(StatusAnswer.into(answer));
        stream.onNext(EventBatch.newBuilder().addAllEvents(List.of(events)).build());
        stream.onCompleted();
        assertThat(answer.get(30, TimeUnit.SECONDS).getCode()).isZero();
    }
}
