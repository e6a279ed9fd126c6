package dev.tailbus.metrics;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusException;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP endpoint of one server's metrics ({@code --metrics-address HOST:PORT}): Prometheus
 * text format at {@code /metrics}, from a registry of the server's own (never the library's
 * global one, so that tests can run several servers in one JVM), with the JVM's metrics added.
 *
 * <p>Design note: one daemon thread answers the scrapes one at a time, so that a scrape never
 * competes with another for the figures it asks the servers for.
 */
public final class MetricsEndpoint implements Closeable {
    private final HTTPServer http;
    private final ExecutorService thread;
    private final ListenAddress address;

    private MetricsEndpoint(HTTPServer http, ExecutorService thread, ListenAddress address) {
        this.http = http;
        this.thread = thread;
        this.address = address;
    }

    /**
     * Parses {@code HOST:PORT}, {@code :PORT} (every interface) or {@code [IPv6]:PORT}.
     *
     * @throws MetricsException (bad input) when malformed
     */
    public static ListenAddress parseAddress(String spec) {
        try {
            return ListenAddress.parse(spec);
        } catch (ProtobusException e) {
            throw new MetricsException(Kind.BAD_INPUT, "--metrics-address: " + e.getMessage(), e);
        }
    }

    /**
     * Adds the JVM's metrics to {@code registry} and serves it at {@code address}.
     *
     * @throws MetricsException (unavailable, exit status 1) when the address cannot be bound
     */
    public static MetricsEndpoint start(ListenAddress address, PrometheusRegistry registry) {
        InetAddress host;
        try {
            host = address.host() == null ? null : InetAddress.getByName(address.host());
        } catch (UnknownHostException e) {
            throw new MetricsException(Kind.BAD_INPUT, "--metrics-address: unknown host '" + address.host() + "'", e);
        }
        JvmMetrics.builder().register(registry);
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        try {
            HTTPServer.Builder builder = HTTPServer.builder().port(address.port()).registry(registry)
                    .executorService(thread);
            if (host != null) {
                builder.inetAddress(host);
            }
            return new MetricsEndpoint(builder.buildAndStart(), thread, address);
        } catch (IOException | RuntimeException e) {
            thread.shutdownNow();
            throw new MetricsException(Kind.UNAVAILABLE, "cannot serve metrics on " + address + ": " + why(e), e);
        }
    }

    private static String why(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.toLowerCase(Locale.ROOT).contains("address already in use")) {
                return "address already in use";
            }
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /** The port scrapes reach (the one the system chose, for port 0). */
    public int port() {
        return http.getPort();
    }

    /** Where scrapes go, for the log: {@code http://HOST:PORT/metrics}, with the port bound. */
    public String describe() {
        String host = address.host() == null ? "0.0.0.0" : address.host().contains(":") ? "[" + address.host() + "]"
                : address.host();
        return "http://" + host + ":" + port() + "/metrics";
    }

    /** Stops answering scrapes. Idempotent. */
    @Override
    public void close() {
        http.close();
        thread.shutdownNow();
    }
}
