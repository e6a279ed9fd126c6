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
        return listTopics(address, BusCredentials.NONE, patterns, timeout);
    }

    /**
     * As {@link #listTopics(String, List, Duration)} with TLS and an access token; a token that
     * is not an admin token lists only the topics it may subscribe to.
     *
     * @throws BusException as {@link #listTopics(String, List, Duration)}, and when the
     *                           credentials' files cannot be used
     */
    public static ListTopicsResponse listTopics(String address, BusCredentials credentials, List<String> patterns,
                                                Duration timeout) {
        ManagedChannel channel = BusConnections.open(address, credentials);
        try {
            return listTopics(channel, address, patterns, timeout);
        } finally {
            BusConnections.close(channel);
        }
    }

    /**
     * A subscriber's first contact: checks the server and the patterns before anything is
     * subscribed, and returns the answer whose last position (or, on a log of resume tokens, whose
     * token) a live-only subscription starts after; null from a server without the admin service
     * (the reference), which is then followed from its first event on.
     *
     * @throws BusException bad input (a pattern the server refuses) or unavailable
     */
    static ListTopicsResponse subscribeStart(Channel channel, String target, List<String> patterns,
                                             Duration timeout) {
        try {
            return listTopics(channel, target, patterns, timeout);
        } catch (BusException e) {
            io.grpc.Status status = io.grpc.Status.fromThrowable(e.getCause());
            if (status.getCode() == io.grpc.Status.Code.UNIMPLEMENTED) {
                return null;
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
