package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Timestamp;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service's request checking and session bookkeeping, on a real log and a real gRPC server on
 * 127.0.0.1 in this JVM, with the registry in view.
 */
class ProtobusServiceTest {
    @TempDir
    Path root;
    EventLog log;
    SessionRegistry registry;
    ExecutorService workers;
    ProtobusService service;
    Server server;
    ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        log = EventLog.open(LogConfig.builder(root).build());
        registry = new SessionRegistry(log.lastPosition());
        workers = Executors.newFixedThreadPool(2);
        service = new ProtobusService(log, registry, 1 << 20, workers, InstantSource.system());
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .executor(workers).addService(service).build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        server.shutdownNow();
        server.awaitTermination(10, TimeUnit.SECONDS);
        workers.shutdownNow();
        log.close();
    }

    @Test
    void shouldTurnEveryValidSinceTimeIntoNanosWithoutOverflow() {
        assertThat(ProtobusService.sinceNanos(time(0, 0))).isZero();
        assertThat(ProtobusService.sinceNanos(time(1_700_000_000L, 5))).isEqualTo(1_700_000_000_000_000_005L);
        // before the epoch: from the start; past a long of nanoseconds (year 2262): after every event
        assertThat(ProtobusService.sinceNanos(time(ProtobusService.MIN_TIMESTAMP_SECONDS, 0))).isZero();
        assertThat(ProtobusService.sinceNanos(time(-1, 999_999_999))).isZero();
        assertThat(ProtobusService.sinceNanos(time(9_223_372_035L, 999_999_999)))
                .isEqualTo(9_223_372_035_999_999_999L);
        assertThat(ProtobusService.sinceNanos(time(9_223_372_036L, 999_999_999))).isEqualTo(Long.MAX_VALUE);
        assertThat(ProtobusService.sinceNanos(time(ProtobusService.MAX_TIMESTAMP_SECONDS, 999_999_999)))
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void shouldRefuseASinceTimeOutsideTheTimestampRangeWithInvalidArgument() {
        for (Timestamp bad : List.of(time(253_402_300_800L, 0), time(Long.MAX_VALUE, 0),
                time(-62_135_596_801L, 0), time(Long.MIN_VALUE, 0), time(0, -1), time(0, 1_000_000_000))) {
            Collector sub = subscribe(since(bad, "a"));
            Status status = sub.awaitError();
            assertThat(status.getCode()).as("%s", bad).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(status.getDescription()).contains("since_time", "0001-01-01", "9999-12-31",
                    "seconds " + bad.getSeconds());
        }
        await().until(() -> registry.subscriptions().isEmpty());
    }

    @Test
    void shouldServeSinceTimesAtBothEndsOfTheTimestampRange() throws Exception {
        append("a", "stored");
        // the earliest valid time: everything stored, then live events
        Collector all = subscribe(since(time(ProtobusService.MIN_TIMESTAMP_SECONDS, 0), "a"));
        // a time in the year 2286 (its nanoseconds overflow a long): nothing stored, live events only
        Collector future = subscribe(since(time(10_000_000_000L, 0), "a"));
        await().until(() -> registry.subscriptions().size() == 2);
        append("a", "live");
        await().until(() -> all.texts().size() == 2 && future.texts().size() == 1);
        assertThat(all.texts()).containsExactly("stored", "live");
        assertThat(future.texts()).containsExactly("live");
        assertThat(all.error()).isNull();
        assertThat(future.error()).isNull();
    }

    @Test
    void shouldEndAndForgetASubscriptionWhoseStartCannotReadTheLog() {
        append("a", "stored");
        append("b", "stored");
        append("b", "stored again");
        log.close(); // every read of the log fails from now on
        List<SubscriptionRequest> needingTheLog = List.of(
                since(time(0, 0), "a"),
                SubscriptionRequest.newBuilder().addTopics("a").addTopics("b")
                        .setOptions(SubscriptionOptions.newBuilder().setHistoryDepth(1)).build());
        for (SubscriptionRequest request : needingTheLog) {
            Collector sub = subscribe(request);
            Status status = sub.awaitError();
            assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(status.getDescription()).contains("cannot start the subscription", "closed");
            // left the registry before the client heard: no events queued for it, no wake-ups
            assertThat(registry.subscriptions()).isEmpty();
        }
    }

    @Test
    void shouldAnswerAPublishBatchCallThatAsksWithThePositionsOfAllItsEventsInOrder() throws Exception {
        append("before", "taken position 1");
        assertThat(publishBatches(false, 2, 3)).isEmpty(); // not asked: an answer as small as before
        // asked in the first batch only: every event of the call, across its batches
        assertThat(publishBatches(true, 2, 3)).containsExactly(7L, 8L, 9L, 10L, 11L);
        assertThat(log.lastPosition()).isEqualTo(11);
    }

    private List<Long> publishBatches(boolean ask, int... sizes) throws Exception {
        CompletableFuture<dev.tailbus.protobus.proto.Status> answer = new CompletableFuture<>();
        var call = ProtobusServiceGrpc.newStub(channel).publishBatch(
                dev.tailbus.protobus.client.StatusAnswer.into(answer));
        boolean first = true;
        for (int size : sizes) {
            dev.tailbus.protobus.proto.EventBatch.Builder batch = dev.tailbus.protobus.proto.EventBatch.newBuilder()
                    .setReturnPositions(ask && first);
            for (int i = 0; i < size; i++) {
                batch.addEvents(EncapsulatedEvent.newBuilder().setTopic("batched")
                        .setPayload(Any.pack(BytesValue.of(ByteString.copyFromUtf8("e" + i)))));
            }
            call.onNext(batch.build());
            first = false;
        }
        call.onCompleted();
        dev.tailbus.protobus.proto.Status status = answer.get(30, TimeUnit.SECONDS);
        assertThat(status.getCode()).isZero();
        return status.getPositionsList();
    }

    private void append(String topic, String text) {
        EncapsulatedEvent e = EncapsulatedEvent.newBuilder().setTopic(topic)
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFromUtf8(text)))).build();
        service.append(List.of(service.stamper().stamp(e.toByteArray(), service.nowNanos())));
    }

    private static Timestamp time(long seconds, int nanos) {
        return Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build();
    }

    private static SubscriptionRequest since(Timestamp t, String... topics) {
        return SubscriptionRequest.newBuilder().addAllTopics(List.of(topics))
                .setOptions(SubscriptionOptions.newBuilder().setSinceTime(t)).build();
    }

    private Collector subscribe(SubscriptionRequest request) {
        Collector c = new Collector();
        ProtobusServiceGrpc.newStub(channel).subscribe(request, c);
        return c;
    }

    /** A subscription's events, end and error. */
    static final class Collector implements ClientResponseObserver<SubscriptionRequest, EncapsulatedEvent> {
        final List<EncapsulatedEvent> events = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscriptionRequest> requestStream) {
        }

        @Override
        public void onNext(EncapsulatedEvent value) {
            events.add(value);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            done.complete(null);
        }

        List<String> texts() {
            return events.stream().map(e -> {
                try {
                    return e.getPayload().unpack(BytesValue.class).getValue().toStringUtf8();
                } catch (com.google.protobuf.InvalidProtocolBufferException x) {
                    throw new AssertionError(x);
                }
            }).toList();
        }

        Status error() {
            return done.isCompletedExceptionally() ? Status.fromThrowable(done.exceptionNow()) : null;
        }

        Status awaitError() {
            await().until(done::isDone);
            Status status = error();
            assertThat(status).as("the call ended with an error").isNotNull();
            return status;
        }
    }
}
