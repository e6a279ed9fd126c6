package dev.tailbus.http;

import dev.tailbus.protobus.server.ListenAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * What the HTTP face needs, checked once.
 *
 * @param listen        where to serve HTTP ({@code --http-address}; a null host: every interface)
 * @param busHost       the host of the protobus server's gRPC port
 * @param busPort       that port
 * @param maxEventBytes the server's {@code --max-event-size}: larger events are refused before
 *                      anything is sent
 * @param heartbeat      how long an event stream may stay silent before a comment line is sent,
 *                       so that a dead client is noticed and proxies keep the connection
 * @param requestTimeout how long a request body may take to arrive whole; a body still arriving
 *                       then is answered 408 and its publishing slot freed, so that clients that
 *                       stall or trickle cannot hold every slot ({@code --http-request-timeout})
 */
public record HttpFaceConfig(ListenAddress listen, String busHost, int busPort, int maxEventBytes,
                             Duration heartbeat, Duration requestTimeout) {
    /** The heartbeat of event streams unless told otherwise. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    /** The time a request body may take unless told otherwise. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    public HttpFaceConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(busHost, "busHost");
        Objects.requireNonNull(heartbeat, "heartbeat");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (busPort < 1 || busPort > 65535) {
            throw new IllegalArgumentException("the bus port must be 1 to 65535, got " + busPort);
        }
        if (maxEventBytes < 64) {
            throw new IllegalArgumentException("maxEventBytes must be at least 64, got " + maxEventBytes);
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("the heartbeat must be positive, got " + heartbeat);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("the request timeout must be positive, got " + requestTimeout);
        }
    }

    /**
     * The face for a server whose gRPC port is {@code busPort} on {@code busListen}'s host: an
     * address bound to every interface is reached on the loopback interface.
     */
    public static HttpFaceConfig forServer(ListenAddress httpListen, ListenAddress busListen, int busPort,
                                           int maxEventBytes) {
        String host = busListen.host() == null || busListen.host().isEmpty() || busListen.host().equals("0.0.0.0")
                || busListen.host().equals("::") ? "localhost" : busListen.host();
        return new HttpFaceConfig(httpListen, host, busPort, maxEventBytes, DEFAULT_HEARTBEAT, DEFAULT_REQUEST_TIMEOUT);
    }

    /** This configuration with another heartbeat. */
    public HttpFaceConfig withHeartbeat(Duration every) {
        return new HttpFaceConfig(listen, busHost, busPort, maxEventBytes, every, requestTimeout);
    }

    /** This configuration with another request timeout. */
    public HttpFaceConfig withRequestTimeout(Duration timeout) {
        return new HttpFaceConfig(listen, busHost, busPort, maxEventBytes, heartbeat, timeout);
    }

    /** What one slow event stream may hold of events not yet written to its client. */
    static final long STREAM_BUDGET_BYTES = 64L << 20;

    /**
     * Events an event stream holds ahead of its client: as many of the largest events as fit in
     * {@link #STREAM_BUDGET_BYTES}, at least 4 and at most 1,024.
     */
    int streamCapacity() {
        return (int) Math.max(4, Math.min(1024, STREAM_BUDGET_BYTES / maxEventBytes));
    }

    /** The largest request body: a JSON array of events may carry several events of the largest size. */
    long maxBodyBytes() {
        return Math.max(16L << 20, 2L * maxEventBytes + (1 << 20));
    }
}
