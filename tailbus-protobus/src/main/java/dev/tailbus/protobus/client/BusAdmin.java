package dev.tailbus.protobus.client;

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
