package dev.tailbus.protobus.server;

import dev.tailbus.protobus.admin.proto.AdminGrpc;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The standard services that let tools find and probe the server with no {@code .proto} at hand:
 * {@code grpc.health.v1.Health} (SERVING while up; NOT_SERVING once shutdown begins, when the
 * server calls {@link #stopping()}) and server reflection, in its {@code v1} form and the older
 * {@code v1alpha} one that many tools still ask for first.
 *
 * <p>Thread-safe.
 */
final class Discovery {
    private final HealthStatusManager health = new HealthStatusManager();
    /** The health {@code Watch} streams open, which a graceful shutdown would otherwise wait for. */
    private final Set<ServerCall<?, ?>> watching = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stopping = new AtomicBoolean();

    /**
     * Adds health and reflection to {@code builder}; the server is NOT_SERVING until
     * {@link #serving()}.
     */
    @SuppressWarnings("deprecation") // v1alpha reflection: still what grpcurl and Postman try first
    Discovery(ServerBuilder<?> builder) {
        for (String service : names()) {
            health.setStatus(service, ServingStatus.NOT_SERVING);
        }
        builder.addService(ServerInterceptors.intercept(health.getHealthService(), new ServerInterceptor() {
                    @Override
                    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                                       ServerCallHandler<Q, A> next) {
                        return track(call, headers, next);
                    }
                }))
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(io.grpc.protobuf.services.ProtoReflectionService.newInstance());
    }

    private <Q, A> ServerCall.Listener<Q> track(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (!call.getMethodDescriptor().getFullMethodName().equals(HealthGrpc.getWatchMethod().getFullMethodName())) {
            return next.startCall(call, headers); // a Check answers once and ends by itself: not ours to close
        }
        watching.add(call);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(
                new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(Status status, Metadata trailers) {
                        watching.remove(call);
                        super.close(status, trailers);
                    }
                }, headers)) {
            @Override
            public void onCancel() {
                watching.remove(call);
                super.onCancel();
            }
        };
    }

    /** Marks the whole server and each of its services SERVING (once it listens). */
    void serving() {
        for (String service : names()) {
            health.setStatus(service, ServingStatus.SERVING);
        }
    }

    /**
     * Shutdown begins: NOT_SERVING for good, told to every watcher, whose stream then ends with
     * UNAVAILABLE (a watch never ends by itself, and the graceful shutdown waits for every call).
     * Called again, it ends the watches that began since.
     */
    void stopping() {
        if (stopping.compareAndSet(false, true)) {
            health.enterTerminalState(); // once: gRPC logs a warning with a stack trace for each call after the first
        }
        for (ServerCall<?, ?> call : watching) {
            watching.remove(call);
            try {
                // The health service sends nothing after its terminal state: this thread alone uses the call.
                call.close(Status.UNAVAILABLE.withDescription("the server is shutting down"), new Metadata());
            } catch (IllegalStateException e) {
                // ended meanwhile
            }
        }
    }

    private static String[] names() {
        return new String[] {HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ProtobusServiceGrpc.SERVICE_NAME,
            AdminGrpc.SERVICE_NAME};
    }
}
