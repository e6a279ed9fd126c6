package dev.tailbus.cli;

import dev.tailbus.metrics.MetricsEndpoint;
import dev.tailbus.metrics.TailsrvMetrics;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.tailsrv.ServedFile;
import dev.tailbus.tailsrv.TailServer;
import dev.tailbus.tailsrv.TailsrvConfig;
import dev.tailbus.tailsrv.TailsrvException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tailbus tailsrv}: the reference command line ({@code -p PORT
 * [--linger-after-file-is-gone] PATH}) plus a header time and size limit, a bind address,
 * more files on their own ports ({@code --serve PORT:PATH}) and log levels.
 *
 * <p>Prints one line per served file on stderr once its port is bound,
 * {@code tailsrv: serving PATH on ADDRESS:PORT}, so that a caller that asked for port 0 learns
 * the port. Stops on SIGINT/SIGTERM (closing every client and port first), or with status 0
 * when every file is gone without lingering.
 */
@Command(name = "tailsrv",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "tail -f as a TCP server. A client sends one line holding a byte offset"
                + " (negative: from the end) and is sent the file from there, and everything appended"
                + " to it, for as long as it stays connected. Example: echo 0 | nc HOST PORT%n")
public final class TailsrvCommand implements Callable<Integer> {
    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "The TCP port to serve PATH on (0: any free port).")
    private Integer port;

    @Parameters(arity = "0..1", paramLabel = "PATH", description = "The file to serve; it may not exist yet.")
    private Path path;

    @Option(names = "--serve", paramLabel = "PORT:PATH",
            description = "Serve one more file on its own port; repeatable, and usable without PATH.")
    private List<String> more = new ArrayList<>();

    @Option(names = "--linger-after-file-is-gone",
            description = "Keep serving a file's open contents after it is moved or deleted (default: stop serving it, and exit when no file is left).")
    private boolean linger;

    @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
            description = "The interface to listen on (default: ${DEFAULT-VALUE}, every interface).")
    private String bind;

    @Option(names = "--header-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "Time a client has to send its header line, e.g. 10s, 500ms, 1m (default: ${DEFAULT-VALUE}).")
    private String headerTimeout;

    @Option(names = "--header-limit", paramLabel = "BYTES", defaultValue = "64",
            description = "Most bytes a header line may take, newline included (default: ${DEFAULT-VALUE}).")
    private int headerLimit;

    @Option(names = {"-v", "--verbose"}, description = "Log every client's connect and disconnect (same as --log-level debug).")
    private boolean verbose;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "error, warn, info or debug (default: ${DEFAULT-VALUE}).")
    private String logLevel;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (:PORT: every interface; default: off).")
    private String metricsAddress;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Held strongly: java.util.logging forgets the level of a logger nobody references. */
    private static final Logger TAILBUS_LOGGER = Logger.getLogger("dev.tailbus");

    @Override
    public Integer call() throws Exception {
        TailsrvConfig config = config();
        ListenAddress metricsAt = metricsAddress == null ? null : MetricsEndpoint.parseAddress(metricsAddress);
        configureLogging(verbose ? Level.FINE : level(logLevel));
        try (TailServer server = TailServer.start(config);
             TailsrvMetrics metrics = metricsAt == null ? null : TailsrvMetrics.serve(metricsAt, server)) {
            PrintStream err = System.err;
            for (ServedFile file : config.files()) {
                err.println("tailsrv: serving " + file.path() + " on "
                        + config.bindAddress().getHostAddress() + ":" + server.port(file));
            }
            if (metrics != null) {
                err.println("tailsrv: metrics on " + metrics.describe());
            }
            err.flush();
            SystemdNotify.ready();
            Thread hook = Thread.ofPlatform().unstarted(() -> {
                SystemdNotify.stopping();
                server.close();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            server.awaitTermination();
            return 0;
        }
    }

    private TailsrvConfig config() {
        List<ServedFile> files = new ArrayList<>();
        if (path != null) {
            if (port == null) {
                throw usage("PATH needs a port: -p PORT");
            }
            files.add(new ServedFile(path, port));
        } else if (port != null) {
            throw usage("-p PORT needs a PATH");
        }
        for (String served : more) {
            files.add(ServedFile.parse(served));
        }
        if (files.isEmpty()) {
            throw usage("name a file: -p PORT PATH, or --serve PORT:PATH");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw usage("--bind: unknown address '" + bind + "'");
        }
        return new TailsrvConfig(address, files, linger, Durations.parse("--header-timeout", headerTimeout), headerLimit);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    private Level level(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "error" -> Level.SEVERE;
            case "warn", "warning" -> Level.WARNING;
            case "info" -> Level.INFO;
            case "debug" -> Level.FINE;
            default -> throw usage("--log-level: '" + name + "' is not one of error, warn, info, debug");
        };
    }

    private static void configureLogging(Level level) {
        StderrLogging.install("tailsrv", level);
        Logger root = Logger.getLogger("");
        // The JDK logs its own debug lines (e.g. Runtime.exit): only tailbus's own follow -v.
        root.setLevel(level.intValue() < Level.INFO.intValue() ? Level.INFO : level);
        TAILBUS_LOGGER.setLevel(level);
    }
}
