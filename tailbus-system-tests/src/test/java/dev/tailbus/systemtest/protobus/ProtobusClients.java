package dev.tailbus.systemtest.protobus;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Timestamp;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import io.grpc.Channel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** grpc-java client helpers for the system tests: events, publishing, collecting subscribers. */
final class ProtobusClients {
    private ProtobusClients() {
    }

    /** An event on {@code topic} carrying {@code seq} in a tag and a payload of {@code size} bytes. */
    static EncapsulatedEvent event(String topic, long seq, int size) {
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) (seq + i);
        }
        return EncapsulatedEvent.newBuilder()
                .setTopic(topic)
                .putTags("seq", Long.toString(seq))
                .setClientEventTime(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(123_456_789))
                .setClientTransmitTime(Timestamp.newBuilder().setSeconds(1_700_000_001L).setNanos(987_654_321))
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(payload))))
                .build();
    }

    static long seq(EncapsulatedEvent e) {
        return Long.parseLong(e.getTagsOrThrow("seq"));
    }

    /** Publishes {@code events} on one stream and returns the server's answer (or throws its error). */
    static Status publish(Channel channel, List<EncapsulatedEvent> events) throws Exception {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EncapsulatedEvent> stream = ProtobusServiceGrpc.newStub(channel).publish(StatusAnswer.into(answer));
        for (EncapsulatedEvent e : events) {
            stream.onNext(e);
        }
        stream.onCompleted();
        return answer.get(60, TimeUnit.SECONDS);
    }

    /** Publishes {@code events} as one {@code EventBatch} of a PublishBatch call; returns the answer or throws its error. */
    static Status publishBatch(Channel channel, List<EncapsulatedEvent> events) throws Exception {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> stream = ProtobusServiceGrpc.newStub(channel)
                .publishBatch(StatusAnswer.into(answer));
        stream.onNext(EventBatch.newBuilder().addAllEvents(events).build());
        stream.onCompleted();
        return answer.get(60, TimeUnit.SECONDS);
    }

    static SubscriptionRequest request(int historyDepth, String... topics) {
        return SubscriptionRequest.newBuilder().addAllTopics(List.of(topics))
                .setOptions(SubscriptionOptions.newBuilder().setHistoryDepth(historyDepth)).build();
    }

    /** A subscription that collects what it receives. */
    static Subscriber subscribe(Channel channel, SubscriptionRequest request) {
        Subscriber s = new Subscriber(-1);
        ProtobusServiceGrpc.newStub(channel).subscribe(request, s);
        return s;
    }

    /** A subscription that receives only {@code initial} events until asked for more. */
    static Subscriber subscribeSlowly(Channel channel, SubscriptionRequest request, int initial) {
        Subscriber s = new Subscriber(initial);
        ProtobusServiceGrpc.newStub(channel).subscribe(request, s);
        return s;
    }

    /** Collects a subscription's events, its end and its error. */
    static final class Subscriber implements ClientResponseObserver<SubscriptionRequest, EncapsulatedEvent> {
        final List<EncapsulatedEvent> events = new CopyOnWriteArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final int initial;
        private volatile ClientCallStreamObserver<SubscriptionRequest> call;

        Subscriber(int initial) {
            this.initial = initial;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscriptionRequest> requestStream) {
            this.call = requestStream;
            if (initial >= 0) {
                requestStream.disableAutoRequestWithInitial(initial);
            }
        }

        void request(int n) {
            call.request(n);
        }

        void cancel() {
            call.cancel("test is done", null);
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

        io.grpc.Status error() {
            return done.isCompletedExceptionally() ? io.grpc.Status.fromThrowable(done.exceptionNow()) : null;
        }
    }
}
