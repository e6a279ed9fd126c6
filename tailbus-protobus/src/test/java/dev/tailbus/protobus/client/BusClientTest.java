package dev.tailbus.protobus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client library against a real server on 127.0.0.1 in this JVM. */
class BusClientTest {
    @TempDir
    Path root;
    ProtobusServer server;
    String address;

    @BeforeEach
    void start() {
        server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", 0), LogConfig.builder(root).build()));
        address = "127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static BusEvent text(String topic, String s) {
        return BusEvent.of(topic, s.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> texts(List<BusEvent> events) {
        return events.stream().map(e -> new String(e.payloadBytes(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void shouldStoreABlockingPublishBeforeItReturnsWithEveryFieldIntact() throws Exception {
        Instant eventTime = Instant.parse("2026-01-02T03:04:05.123456789Z");
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            publisher.publish(text("fields/a", "hello").withTags(Map.of("k", "v")).withEventTime(eventTime));
            assertThat(publisher.acknowledged()).isEqualTo(1);
            // stored before publish returned: the admin service counts it at once
            assertThat(BusAdmin.listTopics(address, List.of(), Duration.ofSeconds(5)).getTopicsList())
                    .singleElement().satisfies(t -> assertThat(t.getEvents()).isEqualTo(1));
        }
        try (BusSubscriber s = BusSubscriber.builder(address).topics("fields/").history(5).build()) {
            BusEvent e = s.poll(Duration.ofSeconds(10));
            assertThat(e.topic()).isEqualTo("fields/a");
            assertThat(e.tags()).isEqualTo(Map.of("k", "v"));
            assertThat(e.eventTime()).isEqualTo(eventTime);
            assertThat(e.transmitTime()).isAfter(eventTime);
            assertThat(e.receiveTime()).isAfterOrEqualTo(e.transmitTime());
            assertThat(e.position()).isEqualTo(1);
            assertThat(new String(e.payloadBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(s.lastPosition()).isEqualTo(1);
        }
    }

    @Test
    void shouldBatchAsyncPublishesInOrderAndFlushThemOnClose() throws Exception {
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        BusPublisher publisher = BusPublisher.builder(address).maxBatchEvents(100).build();
        for (int i = 0; i < 5000; i++) {
            futures.add(publisher.publishAsync(text("batch/" + (i % 2), Integer.toString(i))));
        }
        publisher.close();
        publisher.close(); // idempotent
        assertThat(futures).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(publisher.acknowledged()).isEqualTo(5000);
        assertThatThrownBy(() -> publisher.publishAsync(text("batch/0", "late"))).isInstanceOf(IllegalStateException.class);

        try (BusSubscriber s = BusSubscriber.builder(address).topics("batch/").since(Instant.EPOCH).build()) {
            List<BusEvent> got = new ArrayList<>();
            for (BusEvent e : s) {
                got.add(e);
                if (got.size() == 5000) {
                    break;
                }
            }
            assertThat(texts(got)).isEqualTo(IntStream.range(0, 5000).mapToObj(Integer::toString).toList());
        }
    }

    @Test
    void shouldFailTheFuturesOfARefusedEventAndReportItOnFlush() {
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            CompletableFuture<Void> bad = publisher.publishAsync(text("../escape", "x"));
            assertThatThrownBy(publisher::flush).isInstanceOf(BusException.class);
            assertThat(bad).isCompletedExceptionally();
            assertThatThrownBy(() -> publisher.publish(text("../escape", "y")))
                    .isInstanceOf(BusException.class).hasMessageContaining("cannot publish");
            publisher.publish(text("good/one", "z")); // the publisher goes on
        }
    }

    @Test
    void shouldResumeAfterAPositionAndStartLiveAtTheLogsEnd() throws Exception {
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            for (int i = 1; i <= 5; i++) {
                publisher.publish(text("resume/x", "e" + i));
            }
            try (BusSubscriber after = BusSubscriber.builder(address).topics("resume/").after(3).build();
                 BusSubscriber live = BusSubscriber.builder(address).topics("resume/").build()) {
                publisher.publish(text("resume/x", "e6"));
                assertThat(texts(List.of(after.take(), after.take(), after.take()))).containsExactly("e4", "e5", "e6");
                assertThat(texts(List.of(live.take()))).containsExactly("e6");
                assertThat(live.poll(Duration.ofMillis(200))).isNull();
            }
        }
    }

    @Test
    void shouldHandEventsToACallbackInOrderAndEndCleanlyOnClose() throws Exception {
        List<BusEvent> got = new CopyOnWriteArrayList<>();
        BusSubscriber s = BusSubscriber.builder(address).topics("cb/").start(got::add);
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            for (int i = 0; i < 100; i++) {
                publisher.publishAsync(BusEvent.of("cb/x", Any.pack(StringValue.of("s" + i))));
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> got.size() == 100);
        s.close();
        s.close();
        assertThat(s.done()).succeedsWithin(Duration.ofSeconds(5));
        assertThat(got).extracting(e -> e.payload().unpack(StringValue.class).getValue())
                .isEqualTo(IntStream.range(0, 100).mapToObj(i -> "s" + i).toList());
        assertThat(s.take()).isNull();
    }

    @Test
    void shouldListTopicsWithStatisticsAndTheLogsLastPosition() {
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            publisher.publish(text("list/a", "1"));
            publisher.publish(text("list/a", "22"));
            publisher.publish(text("list/b", "3"));
            publisher.publish(text("other", "4"));
        }
        ListTopicsResponse answer = BusAdmin.listTopics(address, List.of("list/"), Duration.ofSeconds(5));
        assertThat(answer.getLastPosition()).isEqualTo(4);
        assertThat(answer.getTopicsList()).extracting(t -> t.getTopic()).containsExactly("list/a", "list/b");
        var a = answer.getTopics(0);
        assertThat(a.getEvents()).isEqualTo(2);
        assertThat(a.getFirstPosition()).isEqualTo(1);
        assertThat(a.getLastPosition()).isEqualTo(2);
        assertThat(a.getBytes()).isPositive();
        assertThat(a.getLastTime().getSeconds() * 1_000_000_000L + a.getLastTime().getNanos())
                .isGreaterThanOrEqualTo(a.getFirstTime().getSeconds() * 1_000_000_000L + a.getFirstTime().getNanos());
    }

    @Test
    void shouldRefuseABadPatternAsBadInputAndAnUnreachableServerAsUnavailable() throws Exception {
        assertThatThrownBy(() -> BusSubscriber.builder(address).topics("(").build())
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BAD_INPUT));
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        assertThatThrownBy(() -> BusSubscriber.builder("127.0.0.1:" + port).build())
                .isInstanceOfSatisfying(BusException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("unreachable");
                });
    }

    @Test
    void shouldFailASubscriptionWhenTheServerStaysAwayLongerThanTheReconnectLimit() throws Exception {
        BusSubscriber s = BusSubscriber.builder(address).topics("gone/").reconnectFor(Duration.ofMillis(300)).build();
        server.close();
        assertThatThrownBy(s::take).isInstanceOf(BusException.class).hasMessageContaining("unreachable");
        assertThat(s.isEnded()).isTrue();
        s.close();
    }

    /** A server with the reference's two methods only (no batches, no admin service), keeping events in memory. */
    private static final class CompatibleOnly extends ProtobusServiceGrpc.ProtobusServiceImplBase {
        final List<EncapsulatedEvent> stored = new CopyOnWriteArrayList<>();

        @Override
        public StreamObserver<EncapsulatedEvent> publish(StreamObserver<Status> response) {
            return new StreamObserver<>() {
                @Override
                public void onNext(EncapsulatedEvent e) {
                    stored.add(e);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    response.onNext(Status.newBuilder().setCode(0).setMessage("OK").build());
                    response.onCompleted();
                }
            };
        }

        @Override
        public void subscribe(SubscriptionRequest request, StreamObserver<EncapsulatedEvent> response) {
            stored.forEach(response::onNext); // the reference has no history; enough to see the method used
        }
    }

    @Test
    void shouldUseTheCompatibleMethodsOnAServerWithoutTheBatchOnes() throws Exception {
        CompatibleOnly service = new CompatibleOnly();
        io.grpc.Server reference = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service).build().start();
        String at = "127.0.0.1:" + reference.getPort();
        try {
            try (BusPublisher publisher = BusPublisher.builder(at).build()) {
                for (int i = 0; i < 3; i++) {
                    publisher.publishAsync(text("ref/a", Integer.toString(i)));
                }
            }
            assertThat(service.stored).extracting(EncapsulatedEvent::getTopic).containsExactly("ref/a", "ref/a", "ref/a");
            assertThat(service.stored).allSatisfy(e -> assertThat(e.hasClientTransmitTime()).isTrue());
            try (BusSubscriber s = BusSubscriber.builder(at).topics("ref/").build()) {
                List<String> got = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    got.add(new String(s.poll(Duration.ofSeconds(10)).payloadBytes(), StandardCharsets.UTF_8));
                }
                assertThat(got).containsExactly("0", "1", "2");
            }
        } finally {
            reference.shutdownNow();
        }
    }
}
