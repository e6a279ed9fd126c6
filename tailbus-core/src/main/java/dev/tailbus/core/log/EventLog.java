package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.LockFile;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The tailbus log: a store root holding, per file prefix, a series of segments in the
 * reference's record format with an index beside each; every stored event carries a position
 * that only grows, is unique in the store and survives restarts.
 *
 * <p>Files: see {@link SegmentFiles} (names), {@link Segment} (records), {@link IndexEntry}
 * (indexes), {@link EventWire} (the position field).
 *
 * <p>Roles: this class is the door (open, close, the {@link BusLog} calls, topic checks,
 * append listeners); {@link LogLoader} opens what is on disk (discovery, recovery by
 * {@link SegmentRecovery}, and records the reference wrote, which have no position, given
 * positions in file order after the highest position found, written into the file);
 * {@link LogAppender} is the write side (group commit, routing, positions, retention, flushing,
 * failures); {@link LogQueries} and {@link MergedReader} are the read side.
 *
 * <p>Threading: thread-safe. Appends are serialized by one lock; a caller that finds the lock
 * busy queues its batch, and whichever caller takes the lock next writes every queued batch and,
 * with {@link FlushPolicy#BATCH}, forces them with one fsync (group commit). Readers run on any
 * thread without the lock and see a batch only when it is wholly visible; no query reads a file
 * or runs a caller's filter under the lock.
 *
 * <p>Shape: memory and descriptors do not grow with the number of prefixes. Writers share the
 * buffers of {@link WriteBuffers}; every file is opened through the bounded {@link OpenFiles};
 * readers merge {@link PartitionCursor}s by a heap and learn of new topics from the
 * {@link TopicJournal}; positions are reserved durably ahead of use, so none is reused after a
 * power cut.
 *
 * <p>Design note: a write that fails for want of room (a full disk, a quota, a file size limit:
 * {@link dev.tailbus.core.fs.DiskSpace}) is taken back: every partition the write group touched
 * is cut back to what readers see, on disk and in memory ({@link Partition#rewind}), the group's
 * callers get {@link Kind#EXHAUSTED}, and the next append simply tries again, so the log goes on
 * by itself once there is room. Any other failed write or fsync leaves the files in a state the
 * log cannot trust (part of a batch may be on disk, part not; after a failed fsync the kernel may
 * have dropped pages it still reports as written): the log then fails, that append and every
 * later one throw, readers keep reading what was visible, and reopening the store recovers every
 * file. Opening a consistent store writes nothing, so it opens on a full disk.
 */
public final class EventLog implements BusLog {
    private static final System.Logger LOG = System.getLogger(EventLog.class.getName());

    private final LogConfig config;
    private final Path root;
    private final LockFile lockFile;
    private final LogAppender appender;
    private final LogQueries queries;
    private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();

    private EventLog(LogConfig config, Path root, LockFile lockFile) {
        this.config = config;
        this.root = root;
        this.lockFile = lockFile;
        this.appender = new LogAppender(config, root);
        this.queries = new LogQueries(this, appender.lock(), config.maxHistoryDepth());
    }

    /**
     * Opens (creating files as needed) and recovers the store: torn tails truncated and logged.
     *
     * @throws LogException {@link Kind#UNAVAILABLE} when another process has the store open,
     *                      {@link Kind#IO} when a file cannot be read or repaired
     */
    public static EventLog open(LogConfig config) {
        Path root = config.root().toAbsolutePath().normalize();
        LockFile lockFile;
        try {
            lockFile = LockFile.open(root.resolve(SegmentFiles.LOCK_NAME));
            if (!lockFile.tryLock()) {
                lockFile.close();
                throw new LogException(Kind.UNAVAILABLE, "the store at " + root
                        + " is open in another process", root, null, null);
            }
        } catch (IOException e) {
            throw LogException.io("lock the store at", root, e);
        }
        EventLog log = new EventLog(config, root, lockFile);
        try {
            log.appender.load(false);
        } catch (IOException e) {
            log.close();
            throw LogException.io("open the store at", root, e);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
        log.appender.start();
        return log;
    }

    /**
     * Opens the store like {@link #open}, rebuilding every index from its segment; returns the
     * number of segments reindexed. The store must not be open elsewhere.
     */
    public static int reindex(LogConfig config) {
        Path root = config.root().toAbsolutePath().normalize();
        try (EventLog log = open(config)) {
            log.appender.lock().lock();
            try {
                return log.appender.load(true);
            } catch (IOException e) {
                throw LogException.io("reindex the store at", root, e);
            } finally {
                log.appender.lock().unlock();
            }
        }
    }

    /**
     * Validates a topic for storage: non-empty, no NUL, not absolute, no empty, {@code .} or
     * {@code ..} path component, no component over 200 bytes, and not ending like a rotated
     * segment's name ({@code .} and 20 digits), since {@code {topic}} becomes a file path.
     *
     * @throws LogException {@link Kind#BAD_INPUT} naming the reason
     */
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
        int start = 0;
        while (start <= topic.length()) {
            int slash = topic.indexOf('/', start);
            int end = slash < 0 ? topic.length() : slash;
            String part = topic.substring(start, end);
            if (part.equals("..") || part.equals(".")) {
                throw LogException.badTopic(topic, "it has a '" + part + "' path component");
            }
            if (part.isEmpty()) {
                throw LogException.badTopic(topic, "it has an empty path component");
            }
            if (part.length() > 66 && part.getBytes(StandardCharsets.UTF_8).length > 200) {
                throw LogException.badTopic(topic, "a path component is longer than 200 bytes");
            }
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        if (SegmentFiles.rotatedPosition(topic + SegmentFiles.SEGMENT_SUFFIX) >= 0) {
            throw LogException.badTopic(topic, "it ends like a rotated segment's name ('.' and 20 digits)");
        }
    }

    /**
     * Appends a batch, in order; assigns each event the next position (positions start at 1,
     * only grow, are unique in the store, survive restarts). An event whose topic no pattern
     * stores still gets a position ({@link AppendedEvent#stored()} false) but is not written.
     * Returns after the batch reached the OS (and, with {@link FlushPolicy#BATCH}, after fsync,
     * group-committed across concurrent callers). Readers and listeners see the batch only after
     * that. A batch with an invalid topic is rejected whole, before anything is written.
     *
     * <p>When a write finds no room, this append throws {@link Kind#EXHAUSTED} (naming the store,
     * the file and the room left), none of its events is acknowledged or kept (except those a
     * rotation in the middle of it had already closed into a segment, which appear as a reopen would
     * find them), and later appends are tried as usual. When writing or forcing fails otherwise,
     * this append throws, none of its events is acknowledged (some may still be found in the
     * files after a reopen), and the log takes no more appends: every later one throws
     * {@link Kind#UNAVAILABLE}, naming the file and the first failure, until the store is closed
     * and opened again (which recovers every acknowledged event).
     *
     * @throws LogException {@link Kind#BAD_INPUT} for a bad topic, {@link Kind#EXHAUSTED} when there is
     *                      no room, {@link Kind#IO} when writing fails otherwise, {@link Kind#UNAVAILABLE}
     *                      when the log is closed or an earlier write failed
     */
    @Override
    public List<AppendedEvent> append(List<EventToAppend> batch) {
        for (EventToAppend e : batch) {
            checkTopic(e.topic());
        }
        return appender.append(batch, this::tellListeners);
    }

    private void tellListeners(long published) {
        for (LongConsumer listener : listeners) {
            try {
                listener.accept(published);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "an append listener failed", e);
            }
        }
    }

    /** The highest position assigned and visible so far (0 when the store is empty). */
    @Override
    public long lastPosition() {
        return appender.lastPosition();
    }

    /** Changes whenever a partition or a partition's topic is added (for readers). */
    long version() {
        return appender.version();
    }

    Partition[] partitions() {
        return appender.partitions();
    }

    /** Every (partition, topic) pair, in the order they appeared (for readers). */
    TopicJournal journal() {
        return appender.journal();
    }

    /** The append lock (tests: queries must not hold it while they work). */
    java.util.concurrent.locks.ReentrantLock appendLock() {
        return appender.lock();
    }

    /** Segment files open now (tests, statistics). */
    int openFiles() {
        return appender.openFiles();
    }

    /**
     * The last {@code n} stored events of every topic matching {@code topics}, among events with
     * position <= {@code upTo}, streamed in position order ({@link LogQueries#lastPerTopic}).
     */
    @Override
    public LogReader lastPerTopic(Predicate<String> topics, int n, long upTo) {
        return queries.lastPerTopic(topics, n, upTo);
    }

    /** A reader of stored events whose topic matches, in position order, positions > after. */
    @Override
    public LogReader readAfter(Predicate<String> topics, long after) {
        ensureOpen();
        return new MergedReader(this, topics, after);
    }

    /** From the first stored event with receive time >= {@code timeNanos} ({@link LogQueries#readFromTime}). */
    @Override
    public LogReader readFromTime(Predicate<String> topics, long timeNanos) {
        return queries.readFromTime(topics, timeNanos);
    }

    /** Calls listener.accept(lastPosition) on the appending thread after each batch is visible. */
    @Override
    public AutoCloseable onAppend(LongConsumer listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Per stored topic: counts, bytes, first/last position and time ({@link LogQueries#topics}). */
    @Override
    public List<TopicStats> topics() {
        return queries.topics();
    }

    @Override
    public int maxHistoryDepth() {
        return config.maxHistoryDepth();
    }

    /** The store root (absolute). */
    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return "the store at " + root;
    }

    void ensureOpen() {
        if (appender.isClosed()) {
            throw new LogException(Kind.UNAVAILABLE, "the store at " + root + " is closed", root, null, null);
        }
    }

    /** Flushes per policy and closes every file, then unlocks the store. Idempotent. */
    @Override
    public void close() {
        LogException thrown = null;
        appender.lock().lock();
        try {
            if (appender.isClosed()) {
                return;
            }
            try {
                appender.close();
            } catch (LogException e) {
                thrown = e;
            }
            try {
                lockFile.close();
            } catch (IOException e) {
                LogException wrapped = LogException.io("unlock", lockFile.path(), e);
                if (thrown == null) {
                    thrown = wrapped;
                } else {
                    thrown.addSuppressed(wrapped);
                }
            }
        } finally {
            appender.lock().unlock();
        }
        if (thrown != null) {
            throw thrown;
        }
    }
}
