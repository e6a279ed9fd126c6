package dev.tailbus.metrics;

import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.LogObserver;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.ServerBuilder;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.LongStream;

/**
 * protobus-server's metrics ({@code --metrics-address}): events and bytes published and
 * delivered by store pattern, publishers and subscriptions open, subscriptions' lag, the log's
 * append and fsync latency, the store's bytes and segments, refused and RESOURCE_EXHAUSTED calls,
 * and every gRPC call by method and code; the README lists them all.
 *
 * <p>Use: {@link #logObserver()} into the store's configuration, then {@link #serve()} (which
 * fails at once on a port in use, before the store is opened), then {@link #start} the server
 * through this object, which hooks into its builder and log and watches it. Made with a null
 * address, every step leaves the server as it would be without metrics.
 *
 * <p>Thread-safe once set up.
 */
public final class ProtobusMetrics {
    /** Histogram bounds of the log's latencies, in seconds: 20 us to 5 s. */
    private static final double[] LATENCY_BOUNDS = {0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

    private final ListenAddress address;
    private final PrometheusRegistry registry;
    private final LogObserver observer;

    private ProtobusMetrics(ListenAddress address) {
        this.address = address;
        if (address == null) {
            registry = null;
            observer = LogObserver.NONE;
            return;
        }
        registry = new PrometheusRegistry();
        Histogram append = Histogram.builder().name("protobus_log_append_seconds")
                .help("Time the log takes to write one group of appended batches, forcing included with --flush batch")
                .classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(registry);
        Histogram fsync = Histogram.builder().name("protobus_log_fsync_seconds")
                .help("Time the log takes to force its touched segments to disk (--flush batch or MS)")
                .classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(registry);
        observer = new LogObserver() {
            @Override
            public void written(int events, long nanos) {
                append.observe(nanos / 1e9);
            }

            @Override
            public void forced(long nanos) {
                fsync.observe(nanos / 1e9);
            }
        };
    }

    /** Metrics for a server, served at {@code address} by {@link #serve()}; null: no metrics. */
    public static ProtobusMetrics at(ListenAddress address) {
        return new ProtobusMetrics(address);
    }

    /** Times the log's writes and forces into the latency histograms: for {@link LogConfig.Builder#observer}. */
    public LogObserver logObserver() {
        return observer;
    }

    /**
     * Starts answering scrapes (JVM metrics included); null when there is no address.
     *
     * @throws MetricsException when the address cannot be bound
     */
    public MetricsEndpoint serve() {
        return address == null ? null : MetricsEndpoint.start(address, registry);
    }

    /**
     * The {@code /metrics} handler of this server's registry, for another HTTP server of the same
     * process to serve too (the HTTP face's port); empty when metrics are off. Thread-safe.
     */
    public java.util.Optional<com.sun.net.httpserver.HttpHandler> scrapeHandler() {
        return registry == null ? java.util.Optional.empty()
                : java.util.Optional.of(new io.prometheus.metrics.exporter.httpserver.MetricsHandler(registry));
    }

    /**
     * Opens the store and starts the server on {@code builder}, as {@link ProtobusServer#start}
     * does, with the metrics hooked in: every call counted by method and code, the events
     * delivered and published counted by store pattern, and the running server's figures read
     * at each scrape.
     */
    public ProtobusServer start(ServerBuilder<?> builder, ProtobusServerConfig config) {
        if (registry == null) {
            return ProtobusServer.start(builder, config);
        }
        PrefixLabels labels = new PrefixLabels(config.log().patterns());
        Counter calls = Counter.builder().name("protobus_grpc_calls")
                .help("gRPC calls ended, by full method name and status code").labelNames("method", "code")
                .register(registry);
        Counter exhausted = Counter.builder().name("protobus_resource_exhausted")
                .help("Calls ended with RESOURCE_EXHAUSTED (--max-threads reached, an event over --max-event-size, "
                        + "a subscriber too far behind on unstored topics), by method").labelNames("method")
                .register(registry);
        CounterDataPoint[] delivered = points(labels, "protobus_events_delivered",
                "Events sent to subscribers, by store pattern");
        CounterDataPoint[] deliveredBytes = points(labels, "protobus_bytes_delivered",
                "Bytes of events sent to subscribers, by store pattern");
        CounterDataPoint[] published = points(labels, "protobus_events_published",
                "Events published and appended to the log, by store pattern");
        CounterDataPoint[] publishedBytes = points(labels, "protobus_bytes_published",
                "Bytes of events published, as stored (with their position), by store pattern");
        builder.intercept(new GrpcCallMeter(calls, exhausted, labels, delivered, deliveredBytes));
        BusLog log = new MeteredLog(EventLog.open(config.log()), labels, published, publishedBytes);
        ProtobusServer server = ProtobusServer.start(builder, config, log);
        watch(server, config.log().root(), labels);
        return server;
    }

    private void watch(ProtobusServer server, Path storeRoot, PrefixLabels labels) {
        gauge("protobus_publishers_open", "Publishing streams open", server::openPublishers);
        gauge("protobus_subscriptions_open", "Subscriptions open", server::openSubscriptions);
        gauge("protobus_log_last_position", "The position of the newest event in the log", () -> server.log().lastPosition());
        ScrapeCache<long[]> lags = new ScrapeCache<>(server::subscriptionLags);
        gauge("protobus_subscription_lag_max", "The most positions one subscription is behind the log's last position, "
                + "from the first event it has yet to send", () -> LongStream.of(lags.get()).max().orElse(0));
        gauge("protobus_subscription_lag_sum", "The positions all subscriptions are behind the log's last position, "
                + "summed (divide by protobus_subscriptions_open for the mean)", () -> LongStream.of(lags.get()).sum());
        CounterWithCallback.builder().name("protobus_calls_refused")
                .help("Calls refused with RESOURCE_EXHAUSTED because --max-threads calls were being served")
                .callback(c -> c.call(server.refusedCalls())).register(registry);
        ScrapeCache<Map<String, StoreSizes.Size>> sizes = new ScrapeCache<>(new StoreSizes(storeRoot, labels)::take);
        GaugeWithCallback.builder().name("protobus_store_bytes")
                .help("Bytes of the store's segment files, by store pattern").labelNames("prefix")
                .callback(c -> sizes.get().forEach((label, size) -> c.call(size.bytes(), label))).register(registry);
        GaugeWithCallback.builder().name("protobus_store_segments")
                .help("Segment files (live and rotated) in the store, by store pattern").labelNames("prefix")
                .callback(c -> sizes.get().forEach((label, size) -> c.call(size.segments(), label))).register(registry);
    }

    private void gauge(String name, String help, java.util.function.DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(c -> c.call(value.getAsDouble())).register(registry);
    }

    /** A counter by store pattern, one data point per label made now, so that every pattern shows at zero. */
    private CounterDataPoint[] points(PrefixLabels labels, String name, String help) {
        Counter counter = Counter.builder().name(name).help(help).labelNames("prefix").register(registry);
        return labels.labels().stream().map(counter::labelValues).toArray(CounterDataPoint[]::new);
    }
}
