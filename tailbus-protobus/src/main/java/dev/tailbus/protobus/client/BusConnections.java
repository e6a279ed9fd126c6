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
        return open(address, BusCredentials.NONE);
    }

    /**
     * A channel to {@code address} with {@code credentials}: TLS or plain text, and the access
     * token on every call.
     */
    static ManagedChannel open(String address, BusCredentials credentials) {
        BusAddress a = BusAddress.parse(address);
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(a.hostOrLocal(), a.port(),
                        credentials.channelCredentials())
                .maxInboundMessageSize(MAX_INBOUND_BYTES);
        if (credentials.token() != null) {
            builder.intercept(new BearerToken(credentials.token()));
        }
        return builder.build();
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
        String tls = TlsFailures.explain(t);
        if (tls != null) {
            return new BusException(Kind.UNAVAILABLE, "cannot " + what + ": TLS with " + target + " failed: " + tls, t);
        }
        if (root != null && root.getMessage() != null && (s.getDescription() == null
                || s.getDescription().equals("io exception"))) {
            // the transport's own words, such as "Connection refused", say more than "io exception"
            String m = root.getMessage();
            detail = m.contains("Connection refused") ? "connection refused" : m;
        }
        // What a plain-text client sees of a TLS server, which drops it without a word.
        if ("Network closed for unknown reason".equals(s.getDescription())) {
            detail = "connection closed by the server; if it uses TLS, give --tls-ca or TAILBUS_TLS_CA";
        } else if (detail.contains("Connection reset by peer")) {
            detail = "connection reset by the server; if it uses TLS, give --tls-ca or TAILBUS_TLS_CA";
        }
        return switch (s.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED -> new BusException(Kind.UNAVAILABLE,
                    "cannot " + what + ": server " + target + " unreachable (" + detail + ")", t);
            case INVALID_ARGUMENT, OUT_OF_RANGE -> new BusException(Kind.BAD_INPUT,
                    "cannot " + what + ": " + detail, t);
            case UNAUTHENTICATED -> new BusException(Kind.UNAVAILABLE,
                    "cannot " + what + ": not authenticated by " + target + ": " + detail
                            + " (give an access token with --token or TAILBUS_TOKEN)", t);
            case PERMISSION_DENIED -> new BusException(Kind.UNAVAILABLE,
                    "cannot " + what + ": permission denied: " + detail, t);
            default -> new BusException(Kind.UNAVAILABLE,
                    "cannot " + what + ": " + s.getCode() + ": " + detail, t);
        };
    }
}
