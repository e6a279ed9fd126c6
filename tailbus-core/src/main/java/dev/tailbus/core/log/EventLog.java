package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The tailbus log: events appended to files named by store patterns, in the reference's record
 * format, each with a position.
 *
 * <p>FIRST VERSION: keeps an in-memory table of every record; indexes, rotation and retention
 * follow.
 *
 * <p>Thread-safe: appends from many threads, readers on any thread.
 */
public final class EventLog implements Closeable {
    private static final System.Logger LOG = System.getLogger(EventLog.class.getName());

    private final LogConfig config;
    private final Path root;
    private final Object lock = new Object();
    private final Map<String, FileChannel> channels = new HashMap<>();
    private final Map<String, List<Path>> prefixesByTopic = new HashMap<>();
    private final ArrayList<Entry> entries = new ArrayList<>();
    private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private long nextPosition = 1;
    private volatile long lastPosition;
    private volatile boolean closed;

    private record Entry(long position, String topic, long time, FileChannel channel, long offset, int length) {
    }

    private EventLog(LogConfig config) {
        this.config = config;
        this.root = config.root().toAbsolutePath().normalize();
    }

    /** Opens (creating files as needed) and recovers the store: torn tails truncated and logged. */
    public static EventLog open(LogConfig config) {
        EventLog log = new EventLog(config);
        try {
            log.load();
        } catch (IOException e) {
            log.close();
            throw LogException.io("open store", log.root, e);
        }
        return log;
    }

    /** Validates a topic for storage (non-empty, no NUL, cannot escape the root via {topic}). */
    public static void checkTopic(String topic) {
        if (topic == null || topic.isEmpty()) {
            throw LogException.badTopic(topic, "it is empty");
        }
        if (topic.indexOf('\0') >= 0) {
            throw LogException.badTopic(topic, "it contains a NUL character");
        }
        if (topic.startsWith("/")) {
            throw LogException.badTopic(topic, "it is an absolute path");
        }
        for (String part : topic.split("/", -1)) {
            if (part.equals("..") || part.equals(".")) {
                throw LogException.badTopic(topic, "it has a '" + part + "' path component");
            }
            if (part.isEmpty()) {
                throw LogException.badTopic(topic, "it has an empty path component");
            }
            if (part.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 200) {
                throw LogException.badTopic(topic, "a path component is longer than 200 bytes");
            }
        }
    }

    private void load() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> SegmentFiles.isSegment(p.getFileName().toString()) && Files.isRegularFile(p))
                    .sorted().toList();
        }
        TreeMap<Long, Entry> found = new TreeMap<>();
        List<Entry> legacy = new ArrayList<>();
        EventWire.Fields fields = new EventWire.Fields();
        for (Path file : files) {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            channels.put(root.relativize(file).toString(), channel);
            long size = channel.size();
            long offset = 0;
            ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            while (offset < size) {
                header.clear();
                if (size - offset < 4 || channel.read(header, offset) < 4) {
                    truncate(file, channel, offset, "short length");
                    break;
                }
                long length = header.getInt(0) & 0xFFFFFFFFL;
                if (offset + 4 + length > size) {
                    truncate(file, channel, offset, "length " + length + " past the end");
                    break;
                }
                byte[] body = new byte[(int) length];
                channel.read(ByteBuffer.wrap(body), offset + 4);
                if (!EventWire.parse(body, 0, body.length, fields) || fields.topic == null) {
                    if (offset + 4 + length == size) {
                        truncate(file, channel, offset, "unparseable last record");
                        break;
                    }
                    LOG.log(System.Logger.Level.WARNING, "skipping corrupt record in " + file + " at offset " + offset);
                } else {
                    Entry e = new Entry(fields.position, fields.topic, fields.receiveTimeNanos, channel, offset,
                            (int) length);
                    if (fields.position > 0) {
                        found.putIfAbsent(fields.position, e);
                    } else {
                        legacy.add(e);
                    }
                }
                offset += 4 + length;
            }
        }
        entries.addAll(found.values());
        long next = found.isEmpty() ? 1 : found.lastKey() + 1;
        for (Entry e : legacy) {
            entries.add(new Entry(next++, e.topic, e.time, e.channel, e.offset, e.length));
        }
        nextPosition = next;
        lastPosition = next - 1;
    }

    private void truncate(Path file, FileChannel channel, long offset, String why) throws IOException {
        LOG.log(System.Logger.Level.WARNING, "truncating torn record in " + file + " at offset " + offset + ": " + why);
        channel.truncate(offset);
    }

    /**
     * Appends a batch, in order; assigns each event the next position. An event whose topic no
     * pattern stores still gets a position but is not written. Returns after the batch reached the
     * operating system (and, with {@link FlushPolicy#BATCH}, after fsync).
     */
    public List<AppendedEvent> append(List<EventToAppend> batch) {
        for (EventToAppend e : batch) {
            checkTopic(e.topic());
        }
        List<AppendedEvent> out = new ArrayList<>(batch.size());
        long last;
        synchronized (lock) {
            ensureOpen();
            for (EventToAppend e : batch) {
                long position = nextPosition++;
                byte[] stored = EventWire.withPosition(e.event(), position);
                boolean any = false;
                for (Path file : filesFor(e.topic())) {
                    String key = root.relativize(file).toString();
                    try {
                        FileChannel channel = channels.get(key);
                        if (channel == null) {
                            Files.createDirectories(file.getParent());
                            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                                    StandardOpenOption.WRITE);
                            channels.put(key, channel);
                        }
                        long offset = channel.size();
                        ByteBuffer buf = ByteBuffer.allocate(4 + stored.length).order(ByteOrder.LITTLE_ENDIAN);
                        buf.putInt(stored.length).put(stored).flip();
                        while (buf.hasRemaining()) {
                            channel.write(buf, offset + buf.position());
                        }
                        if (config.flush().mode() == FlushPolicy.Mode.BATCH) {
                            channel.force(false);
                        }
                        if (!any) {
                            entries.add(new Entry(position, e.topic(), e.receiveTimeNanos(), channel, offset,
                                    stored.length));
                        }
                        any = true;
                    } catch (IOException io) {
                        throw LogException.io("append to", file, io);
                    }
                }
                out.add(new AppendedEvent(position, e.topic(), e.receiveTimeNanos(), stored, any));
            }
            last = nextPosition - 1;
            lastPosition = last;
        }
        for (LongConsumer l : listeners) {
            l.accept(last);
        }
        return out;
    }

    private List<Path> filesFor(String topic) {
        return prefixesByTopic.computeIfAbsent(topic, t -> {
            List<Path> files = new ArrayList<>();
            for (StorePattern p : config.patterns()) {
                if (p.matches(t)) {
                    Path file = SegmentFiles.live(root, p.prefixFor(t)).normalize();
                    if (!file.startsWith(root) || file.equals(root)) {
                        throw LogException.badTopic(t, "its file " + file + " would be outside the store root");
                    }
                    if (!files.contains(file)) {
                        files.add(file);
                    }
                }
            }
            return files;
        });
    }

    /** The highest position assigned and visible so far (0 when the store is empty). */
    public long lastPosition() {
        return lastPosition;
    }

    /**
     * The last {@code n} stored events of every topic matching {@code topics}, among events with
     * position <= {@code upTo}, in position order.
     */
    public List<StoredEvent> lastPerTopic(Predicate<String> topics, int n, long upTo) {
        List<Entry> picked = new ArrayList<>();
        synchronized (lock) {
            Map<String, Integer> counts = new HashMap<>();
            for (int i = entries.size() - 1; i >= 0; i--) {
                Entry e = entries.get(i);
                if (e.position > upTo || !topics.test(e.topic)) {
                    continue;
                }
                int c = counts.merge(e.topic, 1, Integer::sum);
                if (c <= n) {
                    picked.add(e);
                }
            }
        }
        picked.sort((a, b) -> Long.compare(a.position, b.position));
        List<StoredEvent> out = new ArrayList<>();
        for (Entry e : picked) {
            out.add(read(e));
        }
        return out;
    }

    private StoredEvent read(Entry e) {
        byte[] body = new byte[e.length];
        try {
            ByteBuffer b = ByteBuffer.wrap(body);
            while (b.hasRemaining()) {
                if (e.channel.read(b, e.offset + 4 + b.position()) < 0) {
                    break;
                }
            }
        } catch (IOException io) {
            throw LogException.io("read", root, io);
        }
        return new StoredEvent(e.position, e.topic, e.time, body);
    }

    /** A reader of stored events whose topic matches, in position order, positions > after. */
    public LogReader readAfter(Predicate<String> topics, long after) {
        return new LogReader() {
            private long last = after;

            @Override
            public StoredEvent next() {
                Entry found = null;
                synchronized (lock) {
                    int lo = 0;
                    int hi = entries.size();
                    while (lo < hi) {
                        int mid = (lo + hi) >>> 1;
                        if (entries.get(mid).position <= last) {
                            lo = mid + 1;
                        } else {
                            hi = mid;
                        }
                    }
                    for (int i = lo; i < entries.size(); i++) {
                        Entry e = entries.get(i);
                        if (topics.test(e.topic)) {
                            found = e;
                            break;
                        }
                        last = e.position;
                    }
                }
                if (found == null) {
                    return null;
                }
                last = found.position;
                return read(found);
            }

            @Override
            public void close() {
            }
        };
    }

    /** A reader starting at the first stored event with receive time >= timeNanos. */
    public LogReader readFromTime(Predicate<String> topics, long timeNanos) {
        long after = lastPosition;
        synchronized (lock) {
            for (Entry e : entries) {
                if (e.time >= timeNanos) {
                    after = e.position - 1;
                    break;
                }
            }
        }
        return readAfter(topics, after);
    }

    /** Calls listener.accept(lastPosition) on the appending thread after each batch is visible. */
    public AutoCloseable onAppend(LongConsumer listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Per stored topic: counts, bytes, first/last position and time. */
    public List<TopicStats> topics() {
        Map<String, TopicStats> stats = new TreeMap<>();
        synchronized (lock) {
            for (Entry e : entries) {
                stats.merge(e.topic, new TopicStats(e.topic, 1, e.length, e.position, e.position, e.time, e.time),
                        (a, b) -> new TopicStats(a.topic(), a.events() + 1, a.bytes() + b.bytes(), a.firstPosition(),
                                b.lastPosition(), a.firstTimeNanos(), b.lastTimeNanos()));
            }
        }
        return new ArrayList<>(stats.values());
    }

    private void ensureOpen() {
        if (closed) {
            throw new LogException(Kind.UNAVAILABLE, "the store at " + root + " is closed");
        }
    }

    /** Flushes per policy and closes every file. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            LogException failure = null;
            for (Map.Entry<String, FileChannel> c : channels.entrySet()) {
                try {
                    if (config.flush().mode() != FlushPolicy.Mode.NONE) {
                        c.getValue().force(false);
                    }
                    c.getValue().close();
                } catch (IOException e) {
                    if (failure == null) {
                        failure = LogException.io("close", root.resolve(c.getKey()), e);
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }
}
