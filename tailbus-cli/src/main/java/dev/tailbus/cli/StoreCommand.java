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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;

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
            throw new TailbusException(TailbusException.Kind.UNAVAILABLE, "store root " + storeRoot
                    + (Files.exists(storeRoot) ? " is not a folder" : " does not exist"));
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

    /**
     * The segment files a command line names, checked: each must exist; a folder is refused
     * unless {@code folders} (verify reads a folder as a store), and so is an index file.
     */
    static List<Path> files(List<Path> given, String action, boolean folders) {
        for (Path path : given) {
            if (Files.isDirectory(path)) {
                if (!folders) {
                    throw new TailbusException(TailbusException.Kind.BAD_INPUT, path + " is a folder: " + action
                            + " reads .pb files (for a whole store: --store-root " + path + ")");
                }
            } else if (!Files.exists(path)) {
                throw new TailbusException(TailbusException.Kind.UNAVAILABLE, "no such file: " + path);
            } else if (StoreInspector.isIndexFile(path)) {
                throw new TailbusException(TailbusException.Kind.BAD_INPUT, path + " is an index: " + action
                        + " reads the .pb file beside it");
            } else if (!Files.isReadable(path)) {
                throw new TailbusException(TailbusException.Kind.UNAVAILABLE, "cannot read " + path);
            }
        }
        return given;
    }

    /** {@code tailbus store dump}: events as JSON lines. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = {"Print stored events as JSON lines, decoded as tailbus subscribe prints them (topic, "
                    + "tags, the three times, position, payload type and size, payload), with the file and offset "
                    + "each was read from. With FILE arguments, those segment files, each whole and in file order "
                    + "(a reference .pb file needs no index); without, the store under --store-root in position "
                    + "order, an event stored by two patterns once."})
    static final class Dump implements Callable<Integer> {
        @ParentCommand
        StoreCommand parent;

        @Parameters(paramLabel = "FILE", arity = "0..*",
                description = "segment files (.pb) to read instead of the store under --store-root")
        List<Path> files = new ArrayList<>();

        @Option(names = "--topic", paramLabel = "REGEX",
                description = "only topics this regex matches at their start (Python re.match syntax)")
        String topic;

        @Option(names = "--after", paramLabel = "POSITION", defaultValue = "0",
                description = "only events with a position above this")
        long after;

        @Option(names = "--raw-event",
                description = {"print the stored record instead of decoding it: position, topic, receive time "
                        + "(ISO-8601 and ns), file, offset, size and the event bytes in base64 (they carry the "
                        + "position as field 100)"})
        boolean rawEvent;

        @Option(names = "--no-event", description = "with --raw-event (which it implies): leave out the event bytes")
        boolean noEvent;

        @Override
        public Integer call() throws IOException {
            Pattern pattern = topic == null ? null : TopicPatterns.compile(topic);
            Predicate<String> filter = pattern == null ? t -> true : t -> TopicPatterns.matches(pattern, t);
            List<Path> named = files(files, "dump", false);
            Path root = named.isEmpty() ? parent.root() : null;
            // a file is shown as its path under the root, or as the command line named it
            Path base = root == null ? null : root.toAbsolutePath().normalize();
            Map<Path, String> given = new HashMap<>();
            for (Path file : named) {
                given.put(file.toAbsolutePath().normalize(), file.toString());
            }
            PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out,
                    StandardCharsets.UTF_8), 1 << 16));
            StringBuilder line = new StringBuilder(512);
            boolean raw = rawEvent || noEvent;
            StoreInspector.DumpSink sink = (StoredEvent e, Path file, long offset) -> {
                line.setLength(0);
                String where = base != null ? base.relativize(file).toString() : given.getOrDefault(file, file.toString());
                if (raw) {
                    raw(line, e, where, offset);
                } else {
                    decoded(line, e, where, offset);
                }
                out.println(line);
            };
            List<StoreInspector.Problem> problems = List.of();
            try {
                if (root != null) {
                    StoreInspector.dump(root, filter, after, sink);
                } else {
                    problems = StoreInspector.dumpFiles(named, filter, after, sink);
                }
            } finally {
                out.flush(); // what was read before a failure is printed before its one line
            }
            if (out.checkError()) {
                throw new IOException("cannot write to standard output");
            }
            if (!problems.isEmpty()) {
                StoreInspector.Problem first = problems.getFirst();
                String what = first.offset() == 0 ? first.file() + ": not a store file (offset 0: " + first.what() + ")"
                        : first.toString();
                throw new TailbusException(TailbusException.Kind.CORRUPT, what
                        + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : "")
                        + "; tailbus store verify tells more");
            }
            return 0;
        }

        private void raw(StringBuilder line, StoredEvent e, String file, long offset) {
            line.append("{\"position\":").append(e.position() > 0 ? Long.toString(e.position()) : "null");
            line.append(",\"topic\":");
            Json.string(line, e.topic());
            line.append(",\"receive_time\":\"").append(instant(e.receiveTimeNanos())).append('"');
            line.append(",\"receive_time_ns\":").append(e.receiveTimeNanos());
            line.append(",\"file\":");
            Json.string(line, file);
            line.append(",\"offset\":").append(offset);
            line.append(",\"size\":").append(e.event().length);
            if (!noEvent) {
                line.append(",\"event\":\"").append(Base64.getEncoder().encodeToString(e.event())).append('"');
            }
            line.append('}');
        }

        private static void decoded(StringBuilder line, StoredEvent e, String file, long offset) {
            String event = DumpJson.event(e.event());
            if (event == null) {
                throw new TailbusException(TailbusException.Kind.CORRUPT, file + ": offset " + offset
                        + ": the event does not decode as an EncapsulatedEvent; --raw-event prints its bytes");
            }
            line.append(event, 0, event.length() - 1); // without the closing brace: the location follows
            line.append(",\"file\":");
            Json.string(line, file);
            line.append(",\"offset\":").append(offset).append('}');
        }

        private static String instant(long nanos) {
            return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L))
                    .toString();
        }
    }

    /** {@code tailbus store verify}: checksums, order and torn tails. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check segments: whole, parseable records (no torn tail), growing positions, "
                    + "index entries that match their records (offsets, positions, CRC-32C). Checks the PATHs "
                    + "given (a .pb file on its own, a folder as a store), else the store under --store-root. "
                    + "Prints one line per problem and exits 1 if there is any."})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        StoreCommand parent;

        @Parameters(paramLabel = "FILE|FOLDER", arity = "0..*",
                description = "segment files (.pb) or store folders to check instead of --store-root")
        List<Path> paths = new ArrayList<>();

        @Option(names = {"-q", "--quiet"}, description = "print problems only, no notes or summary")
        boolean quiet;

        @Override
        public Integer call() throws IOException {
            List<Path> named = files(paths, "verify", true);
            List<StoreInspector.Report> reports = new ArrayList<>();
            if (named.isEmpty()) {
                reports.add(StoreInspector.verify(parent.root()));
            }
            List<Path> segments = new ArrayList<>();
            for (Path path : named) {
                if (Files.isDirectory(path)) {
                    reports.add(StoreInspector.verify(path));
                } else {
                    segments.add(path);
                }
            }
            if (!segments.isEmpty()) {
                reports.add(StoreInspector.verifyFiles(segments));
            }
            PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
            int segmentCount = 0;
            long records = 0;
            int problems = 0;
            for (StoreInspector.Report report : reports) {
                for (StoreInspector.Problem p : report.problems()) {
                    out.println("problem: " + p);
                }
                segmentCount += report.segments();
                records += report.records();
                problems += report.problems().size();
            }
            if (!quiet) {
                for (StoreInspector.Report report : reports) {
                    for (String note : report.notes()) {
                        out.println("note: " + note);
                    }
                }
                out.println("verified " + segmentCount + " segments, " + records + " records: "
                        + (problems == 0 ? "ok" : problems + (problems == 1 ? " problem" : " problems")));
            }
            out.flush();
            return problems == 0 ? 0 : 1;
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
