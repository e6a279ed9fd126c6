package dev.tailbus.metrics;

import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.tailsrv.FileStats;
import dev.tailbus.tailsrv.HeaderRefusal;
import dev.tailbus.tailsrv.TailServer;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.ToDoubleFunction;

/**
 * tailsrv's metrics ({@code --metrics-address}), one series per served file (label {@code file},
 * the path as given): clients connected and accepted, bytes sent, headers refused by reason, and
 * the clients behind the end of their file with the bytes they lack. The figures of one scrape
 * are taken together in one turn of tailsrv's loop.
 *
 * <p>Thread-safe.
 */
public final class TailsrvMetrics implements Closeable {
    /** How long a scrape waits for tailsrv's loop before showing no file. */
    private static final long STATS_WAIT_MILLIS = 2000;

    private final MetricsEndpoint endpoint;

    private TailsrvMetrics(MetricsEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * Serves a new registry at {@code address}, JVM metrics included, with {@code server}'s figures.
     *
     * @throws MetricsException when the address cannot be bound
     */
    public static TailsrvMetrics serve(ListenAddress address, TailServer server) {
        PrometheusRegistry registry = new PrometheusRegistry();
        register(registry, server);
        return new TailsrvMetrics(MetricsEndpoint.start(address, registry));
    }

    /** Registers {@code server}'s metrics on {@code registry}. */
    static void register(PrometheusRegistry registry, TailServer server) {
        ScrapeCache<List<FileStats>> stats = new ScrapeCache<>(() -> take(server));
        gauge(registry, stats, "tailsrv_clients", "Clients connected now (sending their header included)",
                FileStats::clients);
        gauge(registry, stats, "tailsrv_clients_behind",
                "Streaming clients not yet sent everything up to the end of their file", FileStats::clientsBehind);
        gauge(registry, stats, "tailsrv_bytes_behind", "Bytes the clients behind still have to be sent, summed",
                FileStats::bytesBehind);
        gauge(registry, stats, "tailsrv_bytes_behind_max", "The most bytes one client still has to be sent",
                FileStats::mostBehind);
        counter(registry, stats, "tailsrv_clients_accepted", "Clients accepted", FileStats::clientsAccepted);
        counter(registry, stats, "tailsrv_bytes_sent", "Bytes of the file sent to clients", FileStats::bytesSent);
        CounterWithCallback.builder().name("tailsrv_headers_refused")
                .help("Header lines refused (the connection closed): not_an_integer, too_long, timeout, hung_up")
                .labelNames("file", "reason")
                .callback(c -> {
                    for (FileStats f : stats.get()) {
                        for (HeaderRefusal why : HeaderRefusal.values()) {
                            c.call(f.headersRefused().get(why), f.file().path().toString(), why.label());
                        }
                    }
                }).register(registry);
    }

    private static List<FileStats> take(TailServer server) {
        try {
            return byPath(server.stats().get(STATS_WAIT_MILLIS, TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (ExecutionException | TimeoutException e) {
            return List.of();
        }
    }

    /**
     * One entry per path: a file served on several ports ({@code --serve}) is one series, its
     * figures summed (the most behind: the largest), since a series must not repeat its labels.
     */
    static List<FileStats> byPath(List<FileStats> all) {
        Map<Path, FileStats> merged = new LinkedHashMap<>();
        for (FileStats f : all) {
            merged.merge(f.file().path(), f, (a, b) -> {
                Map<HeaderRefusal, Long> refused = new EnumMap<>(HeaderRefusal.class);
                for (HeaderRefusal why : HeaderRefusal.values()) {
                    refused.put(why, a.headersRefused().get(why) + b.headersRefused().get(why));
                }
                return new FileStats(a.file(), a.clients() + b.clients(), a.clientsAccepted() + b.clientsAccepted(),
                        a.bytesSent() + b.bytesSent(), a.clientsBehind() + b.clientsBehind(),
                        a.bytesBehind() + b.bytesBehind(), Math.max(a.mostBehind(), b.mostBehind()), refused);
            });
        }
        return List.copyOf(merged.values());
    }

    private static void gauge(PrometheusRegistry registry, ScrapeCache<List<FileStats>> stats, String name,
                              String help, ToDoubleFunction<FileStats> value) {
        GaugeWithCallback.builder().name(name).help(help).labelNames("file")
                .callback(c -> stats.get().forEach(f -> c.call(value.applyAsDouble(f), f.file().path().toString())))
                .register(registry);
    }

    private static void counter(PrometheusRegistry registry, ScrapeCache<List<FileStats>> stats, String name,
                                String help, ToDoubleFunction<FileStats> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("file")
                .callback(c -> stats.get().forEach(f -> c.call(value.applyAsDouble(f), f.file().path().toString())))
                .register(registry);
    }

    /** The port scrapes reach. */
    public int port() {
        return endpoint.port();
    }

    /** Where scrapes go: {@code http://HOST:PORT/metrics}. */
    public String describe() {
        return endpoint.describe();
    }

    /** Stops serving scrapes. Idempotent. */
    @Override
    public void close() {
        endpoint.close();
    }
}
