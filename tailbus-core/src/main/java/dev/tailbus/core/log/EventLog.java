package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.DiskSpace;
import dev.tailbus.core.fs.Durable;
import dev.tailbus.core.fs.LockFile;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The tailbus log: a store root holding, per file prefix, a series of segments in the
 * reference's record format with an index beside each; every stored event carries a position
 * that only grows, is unique in the store and survives restarts.
 *
 * <p>Files: see {@link SegmentFiles} (names), {@link Segment} (records), {@link IndexEntry}
 * (indexes), {@link EventWire} (the position field). Opening recovers every segment
 * ({@link SegmentRecovery}); records the reference wrote, which have no position, get positions
 * in file order (files in path order) after the highest position found, written into the file.
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
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final Map<String, Partition> partitionsByPrefix = new HashMap<>();
    private volatile Partition[] partitions = new Partition[0];
    private final Map<String, Partition[]> routes = new HashMap<>();
    private String lastRoutedTopic;
    private Partition[] lastRoute;
    private final List<Partition> dirty = new ArrayList<>();
    private final CopyOnWriteArrayList<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private final Thread flusher;
    private final OpenFiles files;
    private final LogQueries queries;
    private final WriteBuffers buffers = new WriteBuffers();
    private final TopicJournal journal = new TopicJournal();
    /** Partitions made in this write group: added to {@link #partitions} when it is visible. */
    private final List<Partition> created = new ArrayList<>();
    /** (partition, topic) pairs new in this write group: added to the journal when it is visible. */
    private final List<Partition> newTopics = new ArrayList<>();
    private final List<String> newTopicNames = new ArrayList<>();
    /** Folders that got new files in this write group: forced once each before it is visible. */
    private final java.util.Set<Path> newFolders = new java.util.LinkedHashSet<>();
    private long nextPosition = 1;
    /** Positions are reserved durably ahead of use: none is given twice, whatever is lost. */
    private PositionReservation reservation;
    private volatile long lastPosition;
    private volatile long version;
    private long lastRetentionMillis;
    /** Some partition holds segments whose deletion failed: retention runs again within a second. */
    private boolean deletesPending;
    private volatile boolean closed;
    /** The first failed write; from then on the log takes no appends (see {@link #append}). */
    private volatile LogException failure;
    /** The last group failed for want of room (logged once until one succeeds); under the lock. */
    private boolean wantsRoom;
    /** The file being written, named when a write fails; under the lock. */
    private Path writing;

    /** One caller's batch waiting for the lock. */
    private static final class Pending {
        final List<EventToAppend> batch;
        List<AppendedEvent> result;
        RuntimeException failure;
        boolean done;

        Pending(List<EventToAppend> batch) {
            this.batch = batch;
        }
    }

    private EventLog(LogConfig config, Path root, LockFile lockFile) {
        this.config = config;
        this.root = root;
        this.lockFile = lockFile;
        this.files = new OpenFiles(config.maxOpenFiles());
        this.queries = new LogQueries(this, lock, config.maxHistoryDepth());
        this.flusher = config.flush().mode() == FlushPolicy.Mode.INTERVAL
                ? Thread.ofPlatform().daemon().name("tailbus-log-flusher").unstarted(this::flushPeriodically)
                : null;
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
            log.load(false);
        } catch (IOException e) {
            log.close();
            throw LogException.io("open the store at", root, e);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
        if (log.flusher != null) {
            log.flusher.start();
        }
        return log;
    }

    /**
     * Opens the store like {@link #open}, rebuilding every index from its segment; returns the
     * number of segments reindexed. The store must not be open elsewhere.
     */
    public static int reindex(LogConfig config) {
        Path root = config.root().toAbsolutePath().normalize();
        try (EventLog log = open(config)) {
            log.lock.lock();
            try {
                for (Partition p : log.partitions) {
                    p.close();
                }
                log.partitionsByPrefix.clear();
                log.partitions = new Partition[0];
                log.routes.clear();
                log.lastRoutedTopic = null;
                return log.load(true);
            } catch (IOException e) {
                throw LogException.io("reindex the store at", root, e);
            } finally {
                log.lock.unlock();
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

    /** Discovers and recovers every segment under the root; returns the number of segments. */
    private int load(boolean rebuild) throws IOException {
        SegmentFiles.Found found = SegmentFiles.discover(root);
        Map<String, List<Path>> byPrefix = found.segments();
        for (Path index : found.indexes()) {
            Path segment = SegmentFiles.segmentOf(index);
            if (!Files.exists(segment)) {
                LOG.log(Level.INFO, "deleting index " + index + " of a missing segment");
                Files.deleteIfExists(index);
            }
        }
        long max = 0;
        int count = 0;
        Map<String, List<SegmentWriter>> loaded = new LinkedHashMap<>();
        List<Path> legacy = new ArrayList<>();
        for (Map.Entry<String, List<Path>> e : byPrefix.entrySet()) {
            List<Path> files = e.getValue();
            List<SegmentWriter> writers = new ArrayList<>();
            for (Path file : files) {
                SegmentWriter w = recover(file, rebuild, legacy);
                if (w != null) {
                    w.segment().release(); // the bounded cache opens it again when used
                }
                if (w != null) {
                    writers.add(w);
                    max = Math.max(max, w.segment().lastPosition);
                    count++;
                }
            }
            loaded.put(e.getKey(), writers);
        }
        legacy.sort(Comparator.naturalOrder());
        // positions up to the reservation may already be out (their events lost in a power cut, or
        // events of unstored topics): never again
        reservation = new PositionReservation(root);
        long next = Math.max(max, reservation.reserved()) + 1;
        for (Path file : legacy) {
            next = SegmentRecovery.migrate(file, next);
            String prefix = SegmentFiles.prefixOf(root, file);
            SegmentWriter w = recover(file, true, new ArrayList<>());
            if (w != null) {
                List<SegmentWriter> writers = loaded.get(prefix);
                writers.add(w);
                writers.sort(Comparator.comparingLong(x -> SegmentFiles.order(x.segment().dataPath())));
                max = Math.max(max, w.segment().lastPosition);
            }
        }
        for (Map.Entry<String, List<SegmentWriter>> e : loaded.entrySet()) {
            List<SegmentWriter> writers = e.getValue();
            if (writers.isEmpty()) {
                continue;
            }
            SegmentWriter last = writers.get(writers.size() - 1);
            if (SegmentFiles.rotatedPosition(last.segment().dataPath().getFileName().toString()) >= 0) {
                // the live PREFIX.pb is missing (deleted, or a crash during rotation after the
                // rename): start an empty one, as rotation would have; its files are made by its
                // first write, and their folder forced before that write is visible
                Path live = SegmentFiles.live(root, e.getKey());
                last = new SegmentWriter(Segment.open(live, files), buffers, true);
                newFolders.add(live.toAbsolutePath().getParent());
                writers.add(last);
            }
            Segment[] segments = writers.stream().map(SegmentWriter::segment).toArray(Segment[]::new);
            for (Segment s : segments) {
                s.publish();
                if (s != last.segment()) {
                    s.release();
                } else {
                    s.releaseReaders(); // opened by recovery; readers open them again when they read
                }
            }
            Partition p = new Partition(root, e.getKey(), segments, last, buffers);
            partitionsByPrefix.put(e.getKey(), p);
        }
        buffers.unpublished().clear(); // what recovery indexed is visible
        partitions = partitionsByPrefix.values().toArray(new Partition[0]);
        for (int i = 0; i < partitions.length; i++) {
            partitions[i].index = i;
            for (String topic : partitions[i].topics()) {
                journal.add(i, topic);
            }
        }
        // readers see what the files hold; new positions come after every one that may have been
        // handed out before (lost in a power cut, or given to events no file stores)
        nextPosition = Math.max(max, reservation.reserved()) + 1;
        lastPosition = max;
        version++;
        long now = config.clock().millis();
        for (Partition p : partitions) {
            p.retain(config, now);
        }
        lastRetentionMillis = now;
        return count;
    }

    /** Recovers one segment file; null when it is not a store file (left alone, logged). */
    private SegmentWriter recover(Path file, boolean rebuild, List<Path> legacy) throws IOException {
        boolean hadIndex = Files.exists(SegmentFiles.index(file));
        if (!hadIndex && !looksLikeStoreFile(file)) {
            LOG.log(Level.WARNING, "ignoring " + file + ": its first record is not an event");
            return null;
        }
        Segment segment = Segment.open(file, files);
        try {
            SegmentRecovery.Result result = new SegmentRecovery.Result();
            SegmentWriter writer = SegmentRecovery.recover(segment, rebuild, result, buffers);
            if (result.legacy) {
                writer.segment().close();
                legacy.add(file);
                return null;
            }
            return writer;
        } catch (IOException | RuntimeException e) {
            segment.close();
            throw e;
        }
    }

    private static boolean looksLikeStoreFile(Path file) throws IOException {
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                return true;
            }
            RecordScanner scanner = new RecordScanner(channel, 0, Math.min(size, 64L << 20));
            if (scanner.next() != RecordScanner.Status.RECORD) {
                return size > 64L << 20;
            }
            EventWire.Fields fields = new EventWire.Fields();
            return EventWire.parse(scanner.body(), scanner.bodyOffset(), (int) scanner.length, fields)
                    && fields.topic != null;
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
        Pending mine = new Pending(batch);
        queue.add(mine);
        long published = -1;
        lock.lock();
        try {
            if (!mine.done) {
                published = writeQueued();
            }
        } finally {
            lock.unlock();
        }
        if (published >= 0) {
            for (LongConsumer listener : listeners) {
                try {
                    listener.accept(published);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "an append listener failed", e);
                }
            }
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
        return mine.result;
    }

    /** Writes every queued batch; under the lock. Returns the last visible position, or -1. */
    private long writeQueued() {
        List<Pending> group = new ArrayList<>();
        for (Pending p = queue.poll(); p != null; p = queue.poll()) {
            group.add(p);
        }
        try {
            LogException refused = refusal();
            if (refused != null) {
                for (Pending p : group) {
                    p.failure = refused;
                }
                return -1;
            }
            return writeGroup(group);
        } finally {
            for (Pending p : group) {
                p.done = true;
            }
        }
    }

    /** Why the log takes no appends now (closed, or failed), or null. */
    private LogException refusal() {
        if (closed) {
            return new LogException(Kind.UNAVAILABLE, "the store at " + root + " is closed", root, null, null);
        }
        LogException first = failure;
        if (first != null) {
            return new LogException(Kind.UNAVAILABLE, "the store at " + root + " takes no more appends since a write to "
                    + first.path() + " failed (" + first.getCause() + "); close the store and open it again to recover",
                    first.path(), null, first);
        }
        return null;
    }

    private long writeGroup(List<Pending> group) {
        writing = null;
        long started = System.nanoTime();
        try {
            long now = config.clock().millis();
            boolean anyWritten = false;
            int events = 0;
            for (Pending p : group) {
                Partition[][] routed;
                try {
                    routed = route(p.batch);
                } catch (LogException e) {
                    p.failure = e;
                    continue;
                } catch (IOException e) {
                    // a new topic's files could not be made: nothing of this batch is written yet
                    p.failure = LogException.io("create the files of a new topic in", root, e);
                    continue;
                }
                p.result = write(p.batch, routed, now);
                anyWritten = true;
                events += p.batch.size();
            }
            if (!anyWritten) {
                return -1;
            }
            for (Partition p : dirty) {
                writing = p.live().dataPath();
                p.flush();
            }
            for (Path folder : newFolders) {
                writing = folder;
                dev.tailbus.core.fs.Durable.forceFolder(folder);
            }
            newFolders.clear();
            if (config.flush().mode() == FlushPolicy.Mode.BATCH) {
                long forcing = System.nanoTime();
                for (Partition p : dirty) {
                    writing = p.live().dataPath();
                    p.force(false);
                }
                config.observer().forced(System.nanoTime() - forcing);
            }
            config.observer().written(events, System.nanoTime() - started);
            for (Partition p : dirty) {
                p.publish();
                deletesPending |= p.undeletedCount() > 0;
            }
            dirty.clear();
            buffers.unpublished().clear();
            publishNewPartitionsAndTopics();
            lastPosition = nextPosition - 1;
            if (wantsRoom) {
                wantsRoom = false;
                LOG.log(Level.INFO, "the store at " + root + " has room again: appends go on");
            }
            if ((config.retainAge() != null || deletesPending) && now - lastRetentionMillis >= 1000) {
                lastRetentionMillis = now;
                boolean pending = false;
                for (Partition p : partitions) {
                    p.retain(config, now); // also tries again the deletes that failed before
                    pending |= p.undeletedCount() > 0;
                }
                deletesPending = pending;
            }
            return lastPosition;
        } catch (IOException | RuntimeException e) {
            LogException failed = DiskSpace.isExhausted(e) && rewind(e) ? exhausted(writing, e) : fail(writing, e);
            for (Pending p : group) {
                if (p.failure == null) {
                    p.failure = failed;
                }
            }
            return -1;
        }
    }

    /**
     * Takes back a write group that failed for want of room: every touched partition goes back
     * to what readers see, on disk and in memory, so the next append simply tries again. Positions
     * the group took stay used (a gap, never given twice). Returns false when that failed too
     * (the cause is added to {@code failure}): the log then fails as for any other write error.
     */
    private boolean rewind(Exception failure) {
        try {
            buffers.unpublished().rewind();
            for (Partition p : dirty) {
                p.rewind();
            }
            dirty.clear();
            // a topic new in the group stays new only where a segment still holds it (rotated meanwhile)
            for (int i = newTopics.size() - 1; i >= 0; i--) {
                if (!newTopics.get(i).holds(newTopicNames.get(i))) {
                    newTopics.remove(i);
                    newTopicNames.remove(i);
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
            return false;
        }
    }

    /** The refusal of a group taken back for want of room; logged once until appends succeed again. */
    private LogException exhausted(Path file, Exception e) {
        LogException refused = LogException.exhausted(root, file == null ? root : file, e);
        if (!wantsRoom) {
            wantsRoom = true;
            LOG.log(Level.WARNING, refused.getMessage());
        }
        return refused;
    }

    /** Makes this group's new partitions and topics known to readers, partitions first. */
    private void publishNewPartitionsAndTopics() {
        if (!created.isEmpty()) {
            Partition[] grown = Arrays.copyOf(partitions, partitions.length + created.size());
            for (int i = 0; i < created.size(); i++) {
                grown[partitions.length + i] = created.get(i);
            }
            partitions = grown;
            created.clear();
        }
        for (int i = 0; i < newTopics.size(); i++) {
            journal.add(newTopics.get(i).index, newTopicNames.get(i));
        }
        newTopics.clear();
        newTopicNames.clear();
    }

    /**
     * Notes the first write failure: the log takes no more appends. Buffered, unflushed records
     * are never written, nor are they visible to readers.
     */
    private LogException fail(Path file, Exception e) {
        Path at = file == null ? root : file;
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        LogException failed = new LogException(Kind.IO, "cannot append to " + at + ": " + detail
                + "; the store takes no more appends: close it and open it again to recover", at, null, e);
        if (failure == null) {
            failure = failed;
            LOG.log(Level.ERROR, failed.getMessage());
        }
        return failed;
    }

    private List<AppendedEvent> write(List<EventToAppend> batch, Partition[][] routed, long now) throws IOException {
        writing = reservation.file();
        reservation.reserveUpTo(nextPosition + batch.size() - 1);
        AppendedEvent[] out = new AppendedEvent[batch.size()];
        for (int i = 0; i < out.length; i++) {
            EventToAppend e = batch.get(i);
            long position = nextPosition++;
            byte[] stored = EventWire.withPosition(e.event(), position);
            Partition[] targets = routed[i];
            for (Partition p : targets) {
                if (!p.dirty) {
                    dirty.add(p);
                }
                writing = p.live().dataPath();
                if (p.append(e.topic(), position, e.receiveTimeNanos(), stored, config, now, newFolders)) {
                    newTopics.add(p);
                    newTopicNames.add(e.topic());
                    version++;
                }
            }
            out[i] = new AppendedEvent(position, e.topic(), e.receiveTimeNanos(), stored, targets.length > 0);
        }
        return Arrays.asList(out);
    }

    /** The partitions of each event, creating them as needed; rejects the batch on a bad prefix. */
    private Partition[][] route(List<EventToAppend> batch) throws IOException {
        Partition[][] routed = new Partition[batch.size()][];
        for (int i = 0; i < routed.length; i++) {
            routed[i] = routeOf(batch.get(i).topic());
        }
        return routed;
    }

    private Partition[] routeOf(String topic) throws IOException {
        if (topic.equals(lastRoutedTopic)) {
            return lastRoute;
        }
        Partition[] route = routeOfUncached(topic);
        lastRoutedTopic = topic;
        lastRoute = route;
        return route;
    }

    private Partition[] routeOfUncached(String topic) throws IOException {
        Partition[] known = routes.get(topic);
        if (known != null) {
            return known;
        }
        List<String> prefixes = new ArrayList<>();
        for (StorePattern pattern : config.patterns()) {
            if (pattern.matches(topic)) {
                String prefix = pattern.prefixFor(topic);
                Path file = SegmentFiles.live(root, prefix).normalize();
                if (!file.startsWith(root) || file.getParent() == null || !file.getParent().startsWith(root)) {
                    throw LogException.badTopic(topic, "its file " + file + " would be outside the store root");
                }
                String normal = SegmentFiles.prefixOf(root, file);
                if (!prefixes.contains(normal)) {
                    prefixes.add(normal);
                }
            }
        }
        Partition[] result = new Partition[prefixes.size()];
        for (int i = 0; i < result.length; i++) {
            Partition p = partitionsByPrefix.get(prefixes.get(i));
            if (p == null) {
                p = Partition.create(root, prefixes.get(i), files, buffers, newFolders);
                p.index = partitions.length + created.size();
                partitionsByPrefix.put(prefixes.get(i), p);
                created.add(p); // published with the batch that writes to it
                version++;
            }
            result[i] = p;
        }
        if (routes.size() > 100_000) {
            routes.clear();
        }
        routes.put(topic, result);
        return result;
    }

    /** The highest position assigned and visible so far (0 when the store is empty). */
    @Override
    public long lastPosition() {
        return lastPosition;
    }

    /** Changes whenever a partition or a partition's topic is added (for readers). */
    long version() {
        return version;
    }

    Partition[] partitions() {
        return partitions;
    }

    /** Every (partition, topic) pair, in the order they appeared (for readers). */
    TopicJournal journal() {
        return journal;
    }

    /** Segment files open now (tests, statistics). */
    int openFiles() {
        return files.openCount();
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

    private void flushPeriodically() {
        while (!closed) {
            java.util.concurrent.locks.LockSupport.parkNanos(config.flush().intervalMillis() * 1_000_000L);
            if (closed) {
                return;
            }
            Partition[] all = partitions;
            long forcing = System.nanoTime();
            boolean anyForced = false;
            for (Partition p : all) {
                if (!p.live().unforced()) {
                    continue;
                }
                anyForced = true;
                try {
                    p.live().force(false);
                } catch (IOException e) {
                    if (!Segment.isClosed(e)) {
                        // acknowledged events may not be on disk: take no more appends
                        fail(p.live().dataPath(), e);
                    }
                }
            }
            if (anyForced) {
                config.observer().forced(System.nanoTime() - forcing);
            }
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new LogException(Kind.UNAVAILABLE, "the store at " + root + " is closed", root, null, null);
        }
    }

    /** Flushes per policy and closes every file. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            LogException thrown = null;
            publishNewPartitionsAndTopics(); // made by a group that failed: their files are closed too
            Partition[] all = partitions;
            for (int i = all.length - 1; i >= 0; i--) {
                try {
                    try {
                        if (config.flush().mode() != FlushPolicy.Mode.NONE) {
                            all[i].force(true);
                        }
                    } finally {
                        all[i].close();
                    }
                } catch (IOException e) {
                    LogException wrapped = LogException.io("close", root.resolve(all[i].prefix), e);
                    if (failure != null) {
                        // a write failed before: already reported to every appender, recovered at the next open
                        LOG.log(Level.WARNING, wrapped.getMessage());
                    } else if (thrown == null) {
                        thrown = wrapped;
                    } else {
                        thrown.addSuppressed(wrapped);
                    }
                }
            }
            if (failure == null && thrown == null && reservation != null) {
                reservation.settle(nextPosition - 1); // the next open continues right after
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
            if (flusher != null) {
                java.util.concurrent.locks.LockSupport.unpark(flusher);
            }
            if (thrown != null) {
                throw thrown;
            }
        } finally {
            lock.unlock();
        }
    }
}
