package dev.tailbus.http;

import dev.tailbus.protobus.admin.proto.AdminGrpc;
import dev.tailbus.protobus.admin.proto.ListTopicsRequest;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.admin.proto.ServerInfoRequest;
import dev.tailbus.protobus.admin.proto.ServerInfoResponse;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The face's one gRPC connection to the protobus server it fronts: every HTTP publish is a
 * {@code PublishBatch} call and every event stream a {@code Subscribe} call (through the client
 * library's {@link BusSubscriber}), so that events are checked, stored, delivered and flow
 * controlled exactly as for any gRPC client, and whatever the server applies to its calls applies
 * to these too. Topics and facts come from the admin service. A request's {@code Authorization}
 * header goes with its calls as the {@code authorization} metadata, so that a server checking
 * access tokens judges the HTTP client, not the face.
 *
 * <p>gRPC failures become {@link HttpProblem}s with the matching HTTP status. Thread-safe.
 */
final class BusBridge implements AutoCloseable {
    /** Events per {@code EventBatch} message: far below the server's message limit. */
    private static final int BATCH_BYTES = 4 << 20;
    private static final long CALL_SECONDS = 30;

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ManagedChannel channel;
    private final String target;

    BusBridge(String host, int port) {
        this.target = host + ":" + port;
        this.channel = NettyChannelBuilder.forAddress(host, port)
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                .build();
    }

    /**
     * Publishes {@code events} on one {@code PublishBatch} call and returns their positions, in
     * order, once the server stored them.
     */
    long[] publish(String authorization, List<EncapsulatedEvent> events) {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> call = ProtobusServiceGrpc.newStub(as(authorization))
                .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                .publishBatch(new StreamObserver<>() {
                    @Override
                    public void onNext(Status value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.complete(null);
                    }
                });
        EventBatch.Builder batch = EventBatch.newBuilder().setReturnPositions(true);
        int bytes = 0;
        java.time.Instant now = java.time.Instant.now();
        com.google.protobuf.Timestamp sent = com.google.protobuf.Timestamp.newBuilder()
                .setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
        for (EncapsulatedEvent event : events) {
            EncapsulatedEvent e = event.toBuilder().setClientTransmitTime(sent).build();
            if (bytes > 0 && bytes + e.getSerializedSize() > BATCH_BYTES) {
                call.onNext(batch.build());
                batch = EventBatch.newBuilder().setReturnPositions(true);
                bytes = 0;
            }
            batch.addEvents(e);
            bytes += e.getSerializedSize() + 8;
        }
        call.onNext(batch.build());
        call.onCompleted();
        Status status = await(answer, "publish");
        if (status == null || status.getCode() != 0) {
            throw new HttpProblem(502, "the server answered the publish with "
                    + (status == null ? "nothing" : status.getCode() + " " + status.getMessage()));
        }
        if (status.getPositionsCount() != events.size()) {
            throw new HttpProblem(502, "the server stored the events but returned " + status.getPositionsCount()
                    + " positions for " + events.size() + " events (a server without position answers?)");
        }
        long[] positions = new long[events.size()];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = status.getPositions(i);
        }
        return positions;
    }

    ListTopicsResponse topics(String authorization, List<String> patterns) {
        try {
            return AdminGrpc.newBlockingStub(as(authorization)).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                    .listTopics(ListTopicsRequest.newBuilder().addAllTopics(patterns).build());
        } catch (StatusRuntimeException e) {
            throw problem("list topics", e);
        }
    }

    ServerInfoResponse info(String authorization) {
        try {
            return AdminGrpc.newBlockingStub(as(authorization)).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                    .serverInfo(ServerInfoRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw problem("read the server's facts", e);
        }
    }

    /** A subscriber on the shared channel that does not reconnect: the browser's EventSource does. */
    BusSubscriber.Builder subscriber(String authorization) {
        return BusSubscriber.builder(as(authorization)).reconnectFor(java.time.Duration.ZERO);
    }

    /** The channel, carrying {@code authorization} (an HTTP {@code Authorization} value) when given. */
    private Channel as(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return channel;
        }
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, authorization.trim());
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private <T> T await(CompletableFuture<T> answer, String what) {
        try {
            return answer.get(CALL_SECONDS + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw problem(what, e.getCause());
        } catch (TimeoutException e) {
            throw new HttpProblem(504, "the server did not answer the " + what + " within " + CALL_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpProblem(503, "interrupted");
        }
    }

    /** A gRPC failure as the HTTP status a client should see. */
    HttpProblem problem(String what, Throwable t) {
        io.grpc.Status s = io.grpc.Status.fromThrowable(t);
        String detail = s.getDescription() != null ? s.getDescription() : s.getCode().name();
        return switch (s.getCode()) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> new HttpProblem(400, detail);
            case RESOURCE_EXHAUSTED -> detail.contains("--max-event-size") ? new HttpProblem(413, detail)
                    : new HttpProblem(429, "cannot " + what + ": " + detail);
            case UNAVAILABLE -> new HttpProblem(503, "cannot " + what + ": server " + target + " unavailable ("
                    + detail + ")");
            case DEADLINE_EXCEEDED -> new HttpProblem(504, "cannot " + what + ": the server did not answer in time");
            case UNAUTHENTICATED -> new HttpProblem(401, detail);
            case PERMISSION_DENIED -> new HttpProblem(403, detail);
            default -> new HttpProblem(502, "cannot " + what + ": " + s.getCode() + ": " + detail);
        };
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
