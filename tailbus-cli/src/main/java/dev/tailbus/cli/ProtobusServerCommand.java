package dev.tailbus.cli;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.FlushPolicy;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.StorePattern;
import dev.tailbus.http.HttpFace;
import dev.tailbus.http.HttpFaceConfig;
import dev.tailbus.metrics.MetricsEndpoint;
import dev.tailbus.metrics.ProtobusMetrics;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusException;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tailbus protobus-server} ({@code bin/protobus-server}): the gRPC log bus, with the
 * reference's flags and defaults plus rotation, retention, flush policy and an event size limit.
 * Runs until SIGINT or SIGTERM, then shuts down gracefully and exits 0.
 */
@Command(name = "protobus-server",
        mixinStandardHelpOptions = true,
        description = {"A gRPC publish/subscribe log bus storing events in files (wire-compatible with the "
                + "reference protobus-server)."})
public final class ProtobusServerCommand implements Callable<Integer> {
    /** The reference's log levels (Python's names). */
    enum LogLevel {
        DEBUG(Level.FINE), INFO(Level.INFO), WARNING(Level.WARNING), ERROR(Level.SEVERE), CRITICAL(Level.SEVERE);

        final Level julLevel;

        LogLevel(Level julLevel) {
            this.julLevel = julLevel;
        }
    }

    @Option(names = "--log-level", paramLabel = "{DEBUG,INFO,WARNING,ERROR,CRITICAL}", defaultValue = "INFO",
            description = "Log messages of this level and above to stderr (default: ${DEFAULT-VALUE}).")
    LogLevel logLevel;

    @Option(names = "--address", paramLabel = "ADDRESS:PORT", defaultValue = ListenAddress.DEFAULT,
            description = {"Bind on ADDRESS and listen for gRPC connections on PORT; if ADDRESS is omitted, "
                    + "listen on all interfaces (default: ${DEFAULT-VALUE})."})
    String address;

    @Option(names = "--store-root", paramLabel = "PATH", defaultValue = ".",
            description = "Folder of the persistent store, which must exist (default: the current folder).")
    Path storeRoot;

    @Option(names = "--store-pattern", paramLabel = "FILE_PREFIX:TOPIC_REGEX", arity = "1..*",
            description = {"Store topics matching TOPIC_REGEX (Python syntax, matched at the topic's start) in files "
                    + "named FILE_PREFIX.pb, where {topic} stands for the topic; may be given several times "
                    + "(default: one file per topic, {topic}:.*)."})
    List<String> storePatterns = new ArrayList<>();

    @Option(names = "--max-threads", paramLabel = "N", defaultValue = "101",
            description = "Serve up to N publishers and subscriptions at once; more get RESOURCE_EXHAUSTED "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxThreads;

    @Option(names = "--rotate-at", paramLabel = "HH:MM",
            description = "Start new store files every day at this UTC time (default: never).")
    String rotateAt;

    @Option(names = "--rotate-size", paramLabel = "SIZE",
            description = "Start a new store file once one holds SIZE bytes (suffix k, M or G; default: never).")
    String rotateSize;

    @Option(names = "--retain-age", paramLabel = "AGE",
            description = "Delete rotated store files whose newest event is older than AGE (such as 36h, 7d; "
                    + "default: keep).")
    String retainAge;

    @Option(names = "--retain-size", paramLabel = "SIZE",
            description = "Delete the oldest rotated files of a prefix while its files hold more than SIZE bytes "
                    + "(default: keep).")
    String retainSize;

    @Option(names = "--flush", paramLabel = "POLICY", defaultValue = "none",
            description = {"When appended events are forced to disk: none (the OS decides; nothing is lost if only "
                    + "the server dies), batch (before a publisher's batch is acknowledged or delivered) or a "
                    + "period in ms (default: ${DEFAULT-VALUE})."})
    String flush;

    /** Where the events go: files under --store-root, or an Apache Kafka cluster. */
    enum LogKind { files, kafka }

    @Option(names = "--log", paramLabel = "files|kafka", defaultValue = "files",
            description = {"Keep the events in files under --store-root, or on an Apache Kafka cluster "
                    + "(--kafka-bootstrap), as a stateless gateway (default: ${DEFAULT-VALUE})."})
    LogKind logKind;

    @picocli.CommandLine.Mixin
    KafkaOptions kafka;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--max-event-size", paramLabel = "SIZE", defaultValue = "4M",
            description = "Refuse events larger than SIZE serialized bytes with RESOURCE_EXHAUSTED "
                    + "(default: ${DEFAULT-VALUE}).")
    String maxEventSize;

    @Option(names = "--max-open-files", paramLabel = "N", defaultValue = "1000",
            description = "Keep at most N store files open at once (least recently used closed, reopened when "
                    + "needed; at least 8; default: ${DEFAULT-VALUE}).")
    int maxOpenFiles;

    @Option(names = "--max-history-depth", paramLabel = "N",
            description = "Refuse subscriptions asking for a history_depth above N with INVALID_ARGUMENT "
                    + "(default: no limit).")
    Integer maxHistoryDepth;
    @Option(names = "--http-address", paramLabel = "HOST:PORT",
            description = {"Also serve the HTTP/JSON API, Server-Sent Events and the web console on HOST:PORT "
                    + "(:PORT for every interface, port 0 for a free one; default: off)."})
    String httpAddress;

    @Option(names = "--http-heartbeat", paramLabel = "DURATION", defaultValue = "10s",
            description = "With --http-address: send a comment line on an idle event stream after this long, so "
                    + "that a client that is gone is noticed (default: ${DEFAULT-VALUE}).")
    String httpHeartbeat;

    @Option(names = "--http-request-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "With --http-address: a publish waits this long at most for a slot (then 503), then as "
                    + "long for its body (then 408); a connection to the HTTP face or the metrics endpoint whose "
                    + "request has not arrived within twice this and 2s is closed (default: ${DEFAULT-VALUE}).")
    String httpRequestTimeout;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (:PORT: every interface; "
                    + "default: off).")
    String metricsAddress;

    @Mixin
    ServerSecurityOptions security = new ServerSecurityOptions();

    @Override
    public Integer call() throws Exception {
        configureLogging(logLevel);
        ListenAddress listen = ListenAddress.parse(address);
        LogConfig.Builder store = LogConfig.builder(storeRoot);
        for (String spec : storePatterns) {
            store.pattern(StorePattern.parse(spec));
        }
        if (rotateAt != null) {
            store.rotateAtUtc(parseTime(rotateAt));
        }
        if (rotateSize != null) {
            store.rotateAboveBytes(parseSize("--rotate-size", rotateSize));
        }
        if (retainAge != null) {
            store.retainAge(Durations.parse("--retain-age", retainAge));
        }
        if (retainSize != null) {
            store.retainBytes(parseSize("--retain-size", retainSize));
        }
        store.flush(FlushPolicy.parse(flush));
        if (maxOpenFiles < LogConfig.MIN_OPEN_FILES) {
            throw new ProtobusException(Kind.BAD_INPUT, "--max-open-files must be at least " + LogConfig.MIN_OPEN_FILES
                    + ", got " + maxOpenFiles);
        }
        store.maxOpenFiles(maxOpenFiles);
        if (maxHistoryDepth != null) {
            if (maxHistoryDepth < 1) {
                throw new ProtobusException(Kind.BAD_INPUT, "--max-history-depth must be at least 1, got "
                        + maxHistoryDepth);
            }
            store.maxHistoryDepth(maxHistoryDepth);
        }
        ProtobusMetrics metrics = ProtobusMetrics.at(metricsAddress == null ? null
                : MetricsEndpoint.parseAddress(metricsAddress));
        store.observer(metrics.logObserver());
        long maxEvent = parseSize("--max-event-size", maxEventSize);
        if (maxEvent > ProtobusServerConfig.MAX_EVENT_BYTES_LIMIT) {
            throw new ProtobusException(Kind.BAD_INPUT, "--max-event-size must be at most 1G, got " + maxEventSize);
        }
        ProtobusServerConfig config = new ProtobusServerConfig(listen, store.build(), maxThreads, (int) maxEvent,
                InstantSource.system());
        ListenAddress http = null;
        Duration heartbeat = Durations.parse("--http-heartbeat", httpHeartbeat);
        if (heartbeat.isZero() || heartbeat.isNegative()) {
            throw new ProtobusException(Kind.BAD_INPUT, "--http-heartbeat must be positive, got " + httpHeartbeat);
        }
        Duration requestTimeout = Durations.parse("--http-request-timeout", httpRequestTimeout);
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new ProtobusException(Kind.BAD_INPUT, "--http-request-timeout must be positive, got "
                    + httpRequestTimeout);
        }
        // before the metrics endpoint or the HTTP face starts the JVM's first JDK HTTP server,
        // which reads it: both are closed to clients whose requests never arrive
        HttpFace.limitRequestTime(requestTimeout);
        if (httpAddress != null) {
            security.refuseTlsWith("--http-address");
            try {
                http = ListenAddress.parse(httpAddress);
            } catch (ProtobusException e) {
                throw new ProtobusException(Kind.BAD_INPUT, "--http-address: " + e.getMessage());
            }
        }

        NettyServerBuilder builder = security.serverBuilder(listen.socketAddress());
        dev.tailbus.core.log.BusLog busLog = KafkaGateway.open(logKind == LogKind.kafka, spec, kafka, storePatterns);

        CountDownLatch stop = new CountDownLatch(1);
        SignalTrap.onTermination(stop::countDown);
        Logger log = Logger.getLogger("dev.tailbus.protobus");
        try (MetricsEndpoint scrapes = metrics.serve()) {
            // on Kafka, the endpoint serves the JVM's figures; the server's are hooked into a log of files
            ProtobusServer server = busLog == null
                    ? metrics.start(builder, config)
                    : ProtobusServer.start(builder, config, busLog);
            String host = listen.host() == null ? "" : listen.host();
            log.info("listening on " + host + ":" + server.port() + ", " + (busLog == null
                    ? "store root " + storeRoot.toAbsolutePath().normalize() : busLog.describe()));
            if (scrapes != null) {
                log.info("metrics on " + scrapes.describe());
            }
            HttpFace face = null;
            if (http != null) {
                try {
                    face = HttpFace.start(HttpFaceConfig.forServer(http, listen, server.port(), (int) maxEvent)
                            .withHeartbeat(heartbeat).withRequestTimeout(requestTimeout));
                } catch (RuntimeException e) {
                    server.close();
                    throw e;
                }
                var scrape = metrics.scrapeHandler();
                // the same figures on the HTTP port too, when it is open to the same hosts
                if (scrape.isPresent() && java.util.Objects.equals(
                        MetricsEndpoint.parseAddress(metricsAddress).host(), http.host())) {
                    face.serve("/metrics", scrape.get());
                }
                String httpHost = http.host() == null ? "" : http.host();
                log.info("HTTP API and console on " + httpHost + ":" + face.port());
            }
            SystemdNotify.ready();
            stop.await();
            SystemdNotify.stopping();
            server.stopServing(); // probes see NOT_SERVING from here, while the HTTP face closes
            log.info("shutting down");
            if (face != null) {
                face.close();
            }
            server.close();
        }
        log.info("stopped; store closed");
        return 0;
    }

    private static void configureLogging(LogLevel level) {
        StderrLogging.install("protobus-server", level.julLevel);
        // gRPC and Netty speak up only when something is wrong, unless debugging.
        Level libraries = level == LogLevel.DEBUG ? Level.FINE : Level.WARNING.intValue() > level.julLevel.intValue()
                ? Level.WARNING : level.julLevel;
        Logger.getLogger("io.grpc").setLevel(libraries);
    }

    static LocalTime parseTime(String text) {
        try {
            return LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            throw new ProtobusException(Kind.BAD_INPUT, "--rotate-at must be a UTC time HH:MM, got '" + text + "'");
        }
    }

    /** Parses a byte count with an optional binary suffix k, M, G (case-insensitive). */
    static long parseSize(String option, String text) {
        String t = text.trim();
        long unit = 1;
        if (!t.isEmpty()) {
            switch (Character.toLowerCase(t.charAt(t.length() - 1))) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                default -> unit = 1;
            }
            if (unit != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            long n = Long.parseLong(t);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ProtobusException(Kind.BAD_INPUT, option + " must be a byte count such as 512k, 64M or 1G, got '"
                    + text + "'");
        }
    }
}
