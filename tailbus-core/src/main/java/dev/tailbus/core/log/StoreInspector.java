package dev.tailbus.core.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Read-only tools over a store's files, for {@code tailbus store dump} and {@code verify}: they
 * take no lock and write nothing, so they run beside a server that has the store open (records
 * it is writing at that moment may show as a torn tail).
 *
 * <p>Stateless and thread-safe.
 */
public final class StoreInspector {
    private StoreInspector() {
    }

    /** Something wrong in a store file. */
    public record Problem(Path file, long offset, String what) {
        @Override
        public String toString() {
            return file + ": offset " + offset + ": " + what;
        }
    }

    /** What {@link #verify} found: problems (exit status 1) and notes (harmless). */
    public record Report(int segments, long records, List<Problem> problems, List<String> notes) {
    }

    /** Receives dumped events with the file and offset they were read from. */
    @FunctionalInterface
    public interface DumpSink {
        void accept(StoredEvent event, Path file, long offset) throws IOException;
    }

    /**
     * The segment files of every prefix under {@code root}, oldest first, by prefix (relative to
     * the root, '/'-separated). Index files are not listed.
     */
    public static Map<String, List<Path>> segments(Path root) throws IOException {
        return SegmentFiles.discover(root).segments();
    }

    /** Whether {@code file} is named as a segment's index (such files are read with their segment). */
    public static boolean isIndexFile(Path file) {
        return SegmentFiles.isIndex(file.getFileName().toString());
    }

    /**
     * Checks every segment under {@code root}: records whole and parseable (a torn tail is a
     * problem), positions growing within a prefix, and each index entry agreeing with its record
     * (offset, length, position, CRC). A missing or short index is a note: the next open rebuilds it.
     */
    public static Report verify(Path root) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        Verification v = new Verification();
        for (Map.Entry<String, List<Path>> prefix : segments(absolute).entrySet()) {
            long lastPosition = 0;
            for (Path file : prefix.getValue()) {
                lastPosition = v.segment(file, lastPosition);
            }
        }
        return v.report();
    }

    /**
     * Checks the segment files named, each on its own, as {@link #verify} checks a store's:
     * a file with no index (such as the reference's {@code .pb}) is read as it is.
     */
    public static Report verifyFiles(List<Path> files) throws IOException {
        Verification v = new Verification();
        for (Path file : files) {
            v.segment(file.toAbsolutePath().normalize(), 0);
        }
        return v.report();
    }

    /** What {@link #verify} has found so far. */
    private static final class Verification {
        final List<Problem> problems = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        final EventWire.Fields fields = new EventWire.Fields();
        int segments;
        long records;

        Report report() {
            return new Report(segments, records, problems, notes);
        }

        /** Checks one segment whose positions must follow {@code lastPosition}; returns its last. */
        long segment(Path file, long lastPosition) throws IOException {
            segments++;
            Path indexPath = SegmentFiles.index(file);
            try (FileChannel data = FileChannel.open(file, StandardOpenOption.READ);
                 FileChannel index = Files.exists(indexPath) ? FileChannel.open(indexPath, StandardOpenOption.READ)
                         : null) {
                long entries = -1;
                if (index == null || index.size() == 0) {
                    notes.add(file + ": no index (the next open builds it)");
                } else {
                    ByteBuffer header = Segment.littleEndian(IndexEntry.HEADER);
                    index.read(header, 0);
                    header.flip();
                    if (!IndexEntry.validHeader(header)) {
                        problems.add(new Problem(indexPath, 0, "not a tailbus index (bad header)"));
                    } else {
                        entries = (index.size() - IndexEntry.HEADER) / IndexEntry.SIZE;
                    }
                }
                RecordScanner scanner = new RecordScanner(data, 0, data.size());
                ByteBuffer entry = Segment.littleEndian(IndexEntry.SIZE);
                long n = 0;
                long unpositioned = 0;
                while (true) {
                    RecordScanner.Status status = scanner.next();
                    if (status == RecordScanner.Status.END) {
                        break;
                    }
                    if (status == RecordScanner.Status.TORN) {
                        problems.add(new Problem(file, scanner.offset, torn(scanner)));
                        break;
                    }
                    records++;
                    int length = (int) scanner.length;
                    if (!EventWire.parse(scanner.body(), scanner.bodyOffset(), length, fields) || fields.topic == null) {
                        problems.add(new Problem(file, scanner.offset, "record of " + length + " bytes is not an event"));
                        continue;
                    }
                    if (fields.position <= 0) {
                        unpositioned++;
                    } else if (fields.position <= lastPosition) {
                        problems.add(new Problem(file, scanner.offset, "position " + fields.position
                                + " does not follow " + lastPosition));
                    } else {
                        lastPosition = fields.position;
                    }
                    if (entries >= 0 && n < entries) {
                        entry.clear();
                        index.read(entry, IndexEntry.at(n));
                        String wrong = RecordCheck.check(entry, 0, scanner.offset, scanner.body(),
                                scanner.bodyOffset() - 4, 4 + length, fields.position);
                        if (wrong != null) {
                            problems.add(new Problem(file, scanner.offset, "against index entry " + n + ": record "
                                    + wrong));
                        }
                    }
                    n++;
                }
                if (unpositioned > 0) {
                    notes.add(file + ": " + unpositioned + " records without a position (written by the "
                            + "reference; the next open gives them positions)");
                }
                if (entries >= 0 && entries < n) {
                    notes.add(file + ": index covers " + entries + " of " + n + " records (the next open adds the rest)");
                } else if (entries > n) {
                    problems.add(new Problem(indexPath, IndexEntry.at(n), "index has " + entries
                            + " entries for " + n + " records"));
                }
            }
            return lastPosition;
        }
    }

    private static String torn(RecordScanner scanner) {
        return scanner.length < 0
                ? "torn tail: a length prefix cut short"
                : "torn tail: length " + scanner.length + " runs past the end of the file";
    }

    /**
     * Reads the events of the segment files named, each file whole and in its own order (no
     * merge, no index needed: a reference {@code .pb} file is read as it is), passing those whose
     * topic matches and whose position is above {@code after} (records without a position always
     * pass) to {@code sink}. Returns what could not be read: records that are not events, and a
     * torn tail; the rest of a file after a record that is not an event is still read.
     */
    public static List<Problem> dumpFiles(List<Path> files, Predicate<String> topics, long after, DumpSink sink)
            throws IOException {
        List<Problem> problems = new ArrayList<>();
        EventWire.Fields fields = new EventWire.Fields();
        for (Path given : files) {
            Path file = given.toAbsolutePath().normalize();
            try (FileChannel data = FileChannel.open(file, StandardOpenOption.READ)) {
                RecordScanner scanner = new RecordScanner(data, 0, data.size());
                for (RecordScanner.Status status = scanner.next(); status != RecordScanner.Status.END;
                        status = scanner.next()) {
                    if (status == RecordScanner.Status.TORN) {
                        problems.add(new Problem(file, scanner.offset, torn(scanner)));
                        break;
                    }
                    int length = (int) scanner.length;
                    if (!EventWire.parse(scanner.body(), scanner.bodyOffset(), length, fields) || fields.topic == null) {
                        problems.add(new Problem(file, scanner.offset, "record of " + length + " bytes is not an event"));
                        continue;
                    }
                    if (!topics.test(fields.topic) || (fields.position > 0 && fields.position <= after)) {
                        continue;
                    }
                    byte[] body = Arrays.copyOfRange(scanner.body(), scanner.bodyOffset(), scanner.bodyOffset() + length);
                    sink.accept(new StoredEvent(Math.max(fields.position, 0), fields.topic, fields.receiveTimeNanos, body),
                            file, scanner.offset);
                }
            }
        }
        return problems;
    }

    /**
     * Reads every event under {@code root} whose topic matches and whose position is above
     * {@code after}, merged across prefixes in position order (an event stored by two patterns
     * once); records without a position (the reference's) come first, in file order. Corrupt and
     * torn records are skipped.
     */
    public static void dump(Path root, Predicate<String> topics, long after, DumpSink sink) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        PriorityQueue<PrefixScan> heads = new PriorityQueue<>(Comparator.comparingLong(s -> s.position));
        List<PrefixScan> all = new ArrayList<>();
        try {
            for (List<Path> files : segments(absolute).values()) {
                PrefixScan scan = new PrefixScan(files, topics, after);
                all.add(scan);
                if (scan.advance()) {
                    heads.add(scan);
                }
            }
            long last = -1;
            while (!heads.isEmpty()) {
                PrefixScan s = heads.poll();
                if (s.position <= 0 || s.position != last) {
                    sink.accept(new StoredEvent(Math.max(s.position, 0), s.topic, s.time, s.body), s.file, s.offset);
                    last = s.position;
                }
                if (s.advance()) {
                    heads.add(s);
                }
            }
        } finally {
            for (PrefixScan s : all) {
                s.close();
            }
        }
    }

    /** Sequential reading of one prefix's segments. */
    private static final class PrefixScan {
        private final List<Path> files;
        private final Predicate<String> topics;
        private final long after;
        private final EventWire.Fields fields = new EventWire.Fields();
        private int next;
        private FileChannel channel;
        private RecordScanner scanner;
        Path file;
        long offset;
        long position;
        String topic;
        long time;
        byte[] body;

        PrefixScan(List<Path> files, Predicate<String> topics, long after) {
            this.files = files;
            this.topics = topics;
            this.after = after;
        }

        boolean advance() throws IOException {
            while (true) {
                if (scanner == null) {
                    if (next >= files.size()) {
                        return false;
                    }
                    close();
                    file = files.get(next++);
                    channel = FileChannel.open(file, StandardOpenOption.READ);
                    scanner = new RecordScanner(channel, 0, channel.size());
                }
                if (scanner.next() != RecordScanner.Status.RECORD) {
                    scanner = null;
                    continue;
                }
                int length = (int) scanner.length;
                if (!EventWire.parse(scanner.body(), scanner.bodyOffset(), length, fields) || fields.topic == null
                        || !topics.test(fields.topic) || (fields.position > 0 && fields.position <= after)) {
                    continue;
                }
                offset = scanner.offset;
                position = fields.position;
                topic = fields.topic;
                time = fields.receiveTimeNanos;
                body = Arrays.copyOfRange(scanner.body(), scanner.bodyOffset(), scanner.bodyOffset() + length);
                return true;
            }
        }

        void close() throws IOException {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        }
    }
}
