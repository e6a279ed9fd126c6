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
 * @param heartbeat     how long an event stream may stay silent before a comment line is sent,
 *                      so that a dead client is noticed and proxies keep the connection
 */
public record HttpFaceConfig(ListenAddress listen, String busHost, int busPort, int maxEventBytes,
                             Duration heartbeat) {
    /** The heartbeat of event streams unless told otherwise. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);

    public HttpFaceConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(busHost, "busHost");
        Objects.requireNonNull(heartbeat, "heartbeat");
        if (busPort < 1 || busPort > 65535) {
            throw new IllegalArgumentException("the bus port must be 1 to 65535, got " + busPort);
        }
        if (maxEventBytes < 64) {
            throw new IllegalArgumentException("maxEventBytes must be at least 64, got " + maxEventBytes);
        }
        if (heartbeat.isNegative() || heartbeat.isZero()) {
            throw new IllegalArgumentException("the heartbeat must be positive, got " + heartbeat);
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
        return new HttpFaceConfig(httpListen, host, busPort, maxEventBytes, DEFAULT_HEARTBEAT);
    }

    /** This configuration with another heartbeat. */
    public HttpFaceConfig withHeartbeat(Duration every) {
        return new HttpFaceConfig(listen, busHost, busPort, maxEventBytes, every);
    }

    /** The largest request body: a JSON array of events may carry several events of the largest size. */
    long maxBodyBytes() {
        return Math.max(16L << 20, 2L * maxEventBytes + (1 << 20));
    }
}
