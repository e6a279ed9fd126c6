package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.admin.proto.AdminGrpc;
import dev.tailbus.protobus.admin.proto.ListTopicsRequest;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks a server's {@code tailbus.admin.Admin} service what its store holds (for
 * {@code tailbus topics}).
 */
public final class BusAdmin {
    private BusAdmin() {
    }

    /**
     * The stored topics matching {@code patterns} (all if none), sorted by name, and the log's
     * last position, from the server at {@code address}.
     *
     * @throws BusException the server is unreachable (unavailable), refuses a pattern (bad
     *                           input) or has no admin service
     */
    public static ListTopicsResponse listTopics(String address, List<String> patterns, Duration timeout) {
        ManagedChannel channel = BusConnections.open(address);
        try {
            return listTopics(channel, address, patterns, timeout);
        } finally {
            BusConnections.close(channel);
        }
    }

    /**
     * A subscriber's first contact: checks the server and the patterns before anything is
     * subscribed, and returns the log's last position, after which a live-only subscription
     * starts; -1 from a server without the admin service (the reference), which is then followed
     * from its first event on.
     *
     * @throws BusException bad input (a pattern the server refuses) or unavailable
     */
    static long subscribeStart(Channel channel, String target, List<String> patterns, Duration timeout) {
        try {
            return listTopics(channel, target, patterns, timeout).getLastPosition();
        } catch (BusException e) {
            io.grpc.Status status = io.grpc.Status.fromThrowable(e.getCause());
            if (status.getCode() == io.grpc.Status.Code.UNIMPLEMENTED) {
                return -1;
            }
            throw e.kind() == Kind.BAD_INPUT
                    ? new BusException(Kind.BAD_INPUT, "cannot subscribe: " + status.getDescription(), e.getCause())
                    : new BusException(e.kind(), e.getMessage().replace("list topics", "subscribe"), e.getCause());
        }
    }

    static ListTopicsResponse listTopics(Channel channel, String target, List<String> patterns, Duration timeout) {
        try {
            return AdminGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .listTopics(ListTopicsRequest.newBuilder().addAllTopics(patterns).build());
        } catch (StatusRuntimeException e) {
            throw BusConnections.failure("list topics", target, e);
        }
    }
}
