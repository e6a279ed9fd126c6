package dev.tailbus.protobus.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.LogException;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The {@code protobus.ProtobusService} gRPC service on a log: the reference's {@code Publish}
 * and {@code Subscribe}, and the batch forms {@code PublishBatch} and {@code SubscribeBatch}.
 *
 * <p>Design note: the methods are bound with the generated method names and a byte-array
 * marshaller for the events, so that events cross the server as bytes (see {@link EventStamper});
 * on the wire nothing differs from the generated service.
 */
final class ProtobusService implements BindableService {
    /** The seconds of 0001-01-01T00:00:00Z, the earliest valid protobuf Timestamp. */
    static final long MIN_TIMESTAMP_SECONDS = -62_135_596_800L;
    /** The seconds of 9999-12-31T23:59:59Z, the latest valid protobuf Timestamp. */
    static final long MAX_TIMESTAMP_SECONDS = 253_402_300_799L;

    private final BusLog log;
    private final SessionRegistry registry;
    private final EventStamper stamper;
    private final Executor executor;
    private final InstantSource clock;

    ProtobusService(BusLog log, SessionRegistry registry, int maxEventBytes, Executor executor, InstantSource clock) {
        this.log = log;
        this.registry = registry;
        this.stamper = new EventStamper(maxEventBytes);
        this.executor = executor;
        this.clock = clock;
    }

    @Override
    public ServerServiceDefinition bindService() {
        MethodDescriptor.Marshaller<Status> status = ProtoUtils.marshaller(Status.getDefaultInstance());
        MethodDescriptor<byte[], Status> publish = ProtobusServiceGrpc.getPublishMethod()
                .toBuilder(RawMarshaller.INSTANCE, status).build();
        MethodDescriptor<byte[], Status> publishBatch = ProtobusServiceGrpc.getPublishBatchMethod()
                .toBuilder(RawMarshaller.INSTANCE, status).build();
        MethodDescriptor<byte[], byte[]> subscribe = ProtobusServiceGrpc.getSubscribeMethod()
                .toBuilder(RawMarshaller.INSTANCE, RawMarshaller.INSTANCE).build();
        MethodDescriptor<byte[], byte[]> subscribeBatch = ProtobusServiceGrpc.getSubscribeBatchMethod()
                .toBuilder(RawMarshaller.INSTANCE, RawMarshaller.INSTANCE).build();
        // The generated schema goes with the raw methods, so that server reflection describes them.
        ServiceDescriptor descriptor = ServiceDescriptor.newBuilder(ProtobusServiceGrpc.SERVICE_NAME)
                .setSchemaDescriptor(ProtobusServiceGrpc.getServiceDescriptor().getSchemaDescriptor())
                .addMethod(publish).addMethod(publishBatch).addMethod(subscribe).addMethod(subscribeBatch)
                .build();
        return ServerServiceDefinition.builder(descriptor)
                .addMethod(publish, ServerCalls.asyncClientStreamingCall(response -> publish(response, false)))
                .addMethod(publishBatch, ServerCalls.asyncClientStreamingCall(response -> publish(response, true)))
                .addMethod(subscribe, ServerCalls.asyncServerStreamingCall((byte[] request,
                        StreamObserver<byte[]> response) -> subscribe(request, response, false)))
                .addMethod(subscribeBatch, ServerCalls.asyncServerStreamingCall((byte[] request,
                        StreamObserver<byte[]> response) -> subscribe(request, response, true)))
                .build();
    }

    private StreamObserver<byte[]> publish(StreamObserver<Status> response, boolean batched) {
        PublishSession session = new PublishSession((ServerCallStreamObserver<Status>) response, batched, this);
        session.start();
        return session;
    }

    private void subscribe(byte[] requestBytes, StreamObserver<byte[]> response, boolean batched) {
        SubscriptionRequest request;
        try {
            request = SubscriptionRequest.parseFrom(requestBytes);
        } catch (InvalidProtocolBufferException e) {
            response.onError(invalid("not a valid SubscriptionRequest: " + e.getMessage()));
            return;
        }
        SubscriptionOptions options = request.getOptions();
        if (options.getHistoryDepth() < 0) {
            response.onError(invalid("history_depth must not be negative, got " + options.getHistoryDepth()));
            return;
        }
        if (options.getHistoryDepth() > log.maxHistoryDepth()) {
            response.onError(invalid("history_depth " + options.getHistoryDepth() + " is above the server's limit of "
                    + log.maxHistoryDepth() + " (--max-history-depth)"));
            return;
        }
        TopicFilter filter;
        try {
            // A subscription receives only the topics its access token may read (narrowed, not refused).
            filter = AccessRights.current().narrow(TopicFilter.of(request.getTopicsList()));
        } catch (LogException e) {
            response.onError(invalid(e.getMessage()));
            return;
        }
        long since = -1;
        if (options.hasSinceTime()) {
            try {
                since = sinceNanos(options.getSinceTime());
            } catch (StatusRuntimeException e) {
                response.onError(e);
                return;
            }
        }
        SubscriptionSession session = new SubscriptionSession((ServerCallStreamObserver<byte[]>) response, batched,
                filter, this);
        session.start(options.getHistoryDepth(), options.getAfterPosition(), since,
                options.getResumeToken().isEmpty() ? null : options.getResumeToken().toByteArray());
    }

    /**
     * A {@code since_time} as nanoseconds since the epoch for the log: any valid protobuf
     * Timestamp (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z) is accepted; a time
     * before the epoch is the epoch (every receive time is after it), and one past what a long
     * holds in nanoseconds (the year 2262) is {@link Long#MAX_VALUE} (no receive time is later).
     *
     * @throws StatusRuntimeException INVALID_ARGUMENT for a time outside the Timestamp range
     */
    static long sinceNanos(Timestamp t) {
        if (t.getSeconds() < MIN_TIMESTAMP_SECONDS || t.getSeconds() > MAX_TIMESTAMP_SECONDS
                || t.getNanos() < 0 || t.getNanos() > 999_999_999) {
            throw invalid("since_time must be a valid time from 0001-01-01 to 9999-12-31 (nanos 0 to 999999999), "
                    + "got seconds " + t.getSeconds() + " and nanos " + t.getNanos());
        }
        if (t.getSeconds() < 0) {
            return 0;
        }
        if (t.getSeconds() >= Long.MAX_VALUE / 1_000_000_000L) {
            return Long.MAX_VALUE;
        }
        return t.getSeconds() * 1_000_000_000L + t.getNanos();
    }

    private static StatusRuntimeException invalid(String message) {
        return io.grpc.Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    /**
     * Appends a publisher's batch, then tells the subscriptions (see {@link SessionRegistry#afterAppend});
     * returns the appended events, in the batch's order.
     */
    List<AppendedEvent> append(List<EventToAppend> batch) {
        long ticket = registry.beforeAppend();
        List<AppendedEvent> appended = List.of();
        try {
            appended = log.append(batch);
        } finally {
            registry.afterAppend(ticket, appended);
        }
        return appended;
    }

    long nowNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    BusLog log() {
        return log;
    }

    SessionRegistry registry() {
        return registry;
    }

    EventStamper stamper() {
        return stamper;
    }

    Executor executor() {
        return executor;
    }
}
