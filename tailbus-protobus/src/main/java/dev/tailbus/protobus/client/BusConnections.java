package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * Channels to a server from an {@code ADDRESS:PORT} text, and gRPC failures as the module's
 * one-line exceptions. Shared by the publisher, the subscriber and the admin client.
 */
final class BusConnections {
    /** The largest message the clients accept (matches the server's largest event limit). */
    static final int MAX_INBOUND_BYTES = (1 << 30) + (1 << 20);

    private BusConnections() {
    }

    /** A plaintext channel to {@code address} ({@code HOST:PORT}; {@code :PORT} means localhost). */
    static ManagedChannel open(String address) {
        BusAddress a = BusAddress.parse(address);
        return NettyChannelBuilder.forAddress(a.hostOrLocal(), a.port())
                .usePlaintext()
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .build();
    }

    /** Shuts a channel down and waits a little for its threads. */
    static void close(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A gRPC failure as one line: what was tried, where, and what the server or transport said. */
    static BusException failure(String what, String target, Throwable t) {
        Status s = Status.fromThrowable(t);
        String detail = s.getDescription() != null ? s.getDescription() : s.getCode().name();
        Throwable root = s.getCause();
        while (root != null && root.getCause() != null) {
            root = root.getCause();
        }
        if (root != null && root.getMessage() != null && (s.getDescription() == null
                || s.getDescription().equals("io exception"))) {
            // the transport's own words, such as "Connection refused", say more than "io exception"
            String m = root.getMessage();
            detail = m.contains("Connection refused") ? "connection refused" : m;
        }
        return switch (s.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED -> new BusException(Kind.UNAVAILABLE,
                    "cannot " + what + ": server " + target + " unreachable (" + detail + ")", t);
            case INVALID_ARGUMENT, OUT_OF_RANGE -> new BusException(Kind.BAD_INPUT,
                    "cannot " + what + ": " + detail, t);
            default -> new BusException(Kind.UNAVAILABLE,
                    "cannot " + what + ": " + s.getCode() + ": " + detail, t);
        };
    }
}
