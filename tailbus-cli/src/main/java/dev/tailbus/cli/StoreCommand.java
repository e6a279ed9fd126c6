package dev.tailbus.cli;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.StoreInspector;
import dev.tailbus.core.log.StorePattern;
import dev.tailbus.core.log.StoredEvent;
import dev.tailbus.core.log.TopicPatterns;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tailbus store}: look into and repair a tailbus log store (the files protobus-server
 * writes). {@code dump} and {@code verify} only read, so they run beside a server that has the
 * store open; {@code reindex} needs the store closed.
 */
@Command(name = "store",
        mixinStandardHelpOptions = true,
        description = "Dump, verify, reindex or export a tailbus log store.",
        subcommands = {StoreCommand.Dump.class, StoreCommand.Verify.class, StoreCommand.Reindex.class,
                StoreExportCommand.class})
public final class StoreCommand implements Runnable {
    @Option(names = "--store-root", scope = ScopeType.INHERIT, paramLabel = "PATH", defaultValue = ".",
            description = "the store's root folder (default: the current folder)")
    Path storeRoot;

    @Option(names = "--store-pattern", scope = ScopeType.INHERIT, paramLabel = "FILE_PREFIX:TOPIC_REGEX",
            description = "store rule, as protobus-server's (repeatable; default {topic}:.*); used by reindex and export")
    List<String> storePatterns = new ArrayList<>();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name an action: dump, verify, reindex or export");
    }

    Path root() {
        // the log reports recovery (truncated tails, migrated files) through java.util.logging:
        // one line per message on stderr
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "tailbus store: %4$s: %5$s%6$s%n");
        }
        if (!Files.isDirectory(storeRoot)) {
            throw new TailbusException(TailbusException.Kind.UNAVAILABLE, "store root " + storeRoot + " is not a folder");
        }
        return storeRoot;
    }

    LogConfig config() {
        LogConfig.Builder b = LogConfig.builder(root());
        for (String p : storePatterns) {
            b.pattern(StorePattern.parse(p));
        }
        return b.build();
    }

    /** {@code tailbus store dump}: events as JSON lines. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = {"Print stored events as JSON lines in position order: position, topic, receive time "
                    + "(ISO-8601 and ns), file, offset, size and the event bytes in base64 (they carry the "
                    + "position as field 100)."})
    static final class Dump implements Callable<Integer> {
        @ParentCommand
        StoreCommand parent;

        @Option(names = "--topic", paramLabel = "REGEX",
                description = "only topics this regex matches at their start (Python re.match syntax)")
        String topic;

        @Option(names = "--after", paramLabel = "POSITION", defaultValue = "0",
                description = "only events with a position above this")
        long after;

        @Option(names = "--no-event", description = "leave out the event bytes")
        boolean noEvent;

        @Override
        public Integer call() throws IOException {
            Path root = parent.root();
            Pattern pattern = topic == null ? null : TopicPatterns.compile(topic);
            Predicate<String> filter = pattern == null ? t -> true : t -> TopicPatterns.matches(pattern, t);
            PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out,
                    StandardCharsets.UTF_8), 1 << 16));
            Path absolute = root.toAbsolutePath().normalize();
            StringBuilder line = new StringBuilder(512);
            StoreInspector.dump(root, filter, after, (StoredEvent e, Path file, long offset) -> {
                line.setLength(0);
                line.append("{\"position\":").append(e.position() > 0 ? Long.toString(e.position()) : "null");
                line.append(",\"topic\":");
                Json.string(line, e.topic());
                line.append(",\"receive_time\":\"").append(instant(e.receiveTimeNanos())).append('"');
                line.append(",\"receive_time_ns\":").append(e.receiveTimeNanos());
                line.append(",\"file\":");
                Json.string(line, absolute.relativize(file).toString());
                line.append(",\"offset\":").append(offset);
                line.append(",\"size\":").append(e.event().length);
                if (!noEvent) {
                    line.append(",\"event\":\"").append(Base64.getEncoder().encodeToString(e.event())).append('"');
                }
                line.append('}');
                out.println(line);
            });
            out.flush();
            if (out.checkError()) {
                throw new IOException("cannot write to standard output");
            }
            return 0;
        }

        private static String instant(long nanos) {
            return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L))
                    .toString();
        }
    }

    /** {@code tailbus store verify}: checksums, order and torn tails. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check every segment: whole, parseable records (no torn tail), growing positions, "
                    + "index entries that match their records (offsets, positions, CRC-32C). Prints one line per "
                    + "problem and exits 1 if there is any."})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        StoreCommand parent;

        @Option(names = {"-q", "--quiet"}, description = "print problems only, no notes or summary")
        boolean quiet;

        @Override
        public Integer call() throws IOException {
            StoreInspector.Report report = StoreInspector.verify(parent.root());
            PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
            for (StoreInspector.Problem p : report.problems()) {
                out.println("problem: " + p);
            }
            if (!quiet) {
                for (String note : report.notes()) {
                    out.println("note: " + note);
                }
                out.println("verified " + report.segments() + " segments, " + report.records() + " records: "
                        + (report.problems().isEmpty() ? "ok" : report.problems().size()
                        + (report.problems().size() == 1 ? " problem" : " problems")));
            }
            out.flush();
            return report.problems().isEmpty() ? 0 : 1;
        }
    }

    /** {@code tailbus store reindex}: rebuild every index. */
    @Command(name = "reindex", mixinStandardHelpOptions = true,
            description = {"Rebuild every index from its segment (recovering torn tails as an open does). "
                    + "The store must not be open in another process."})
    static final class Reindex implements Callable<Integer> {
        @ParentCommand
        StoreCommand parent;

        @Override
        public Integer call() {
            int segments = EventLog.reindex(parent.config());
            System.out.println("reindexed " + segments + " segments");
            return 0;
        }
    }

    /** The JSON this command writes: strings escaped per RFC 8259. */
    static final class Json {
        private Json() {
        }

        static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
