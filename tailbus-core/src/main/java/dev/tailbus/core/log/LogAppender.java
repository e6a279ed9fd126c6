package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.Descriptors;
import dev.tailbus.core.fs.DiskSpace;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * The log's write side: the append lock and group commit, routing events to partitions (made on
 * first use), positions (reserved durably ahead of use by the {@link PositionReservation}),
 * writing, forcing and publishing each group, retention, the interval flusher, and what a failed
 * write leaves: a group without room is taken back, any other failure stops appends (see
 * {@link EventLog}). It owns what readers take snapshots of: the partitions, the
 * {@link TopicJournal}, the visible last position.
 *
 * <p>Threading: {@link #append} on any thread (a caller that finds the lock busy queues its batch,
 * and whichever caller takes the lock next writes every queued batch, group commit); the
 * accessors readers use are safe on any thread; {@link #load} and {@link #close} under the lock.
 */
final class LogAppender {
    private static final System.Logger LOG = System.getLogger(LogAppender.class.getName());

    private final LogConfig config;
    private final Path root;
    private final OpenFiles files;
    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final Map<String, Partition> partitionsByPrefix = new HashMap<>();
    /** Prefixes whose live file the open found not to be a store file: never written to. */
    private Set<String> foreign = Set.of();
    private volatile Partition[] partitions = new Partition[0];
    private final Map<String, Partition[]> routes = new HashMap<>();
    private String lastRoutedTopic;
    private Partition[] lastRoute;
    private final List<Partition> dirty = new ArrayList<>();
    private final Thread flusher;
    private final WriteBuffers buffers = new WriteBuffers();
    private final TopicJournal journal = new TopicJournal();
    /** Partitions made in this write group: added to {@link #partitions} when it is visible. */
    private final List<Partition> created = new ArrayList<>();
    /** (partition, topic) pairs new in this write group: added to the journal when it is visible. */
    private final List<Partition> newTopics = new ArrayList<>();
    private final List<String> newTopicNames = new ArrayList<>();
    /** Folders that got new files in this write group: forced once each before it is visible. */
    private final Set<Path> newFolders = new LinkedHashSet<>();
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
    /** Set when the store opened without room to index some records: no appends until reopened. */
    private LogException incomplete;
    /** The partitions whose live segment holds records the open could not index (null: reopen). */
    private List<Partition> deferredLive;
    /** The highest position the open found, unindexed records included. */
    private long maxLoaded;
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

    LogAppender(LogConfig config, Path root) {
        this.config = config;
        this.root = root;
        this.files = new OpenFiles(config.maxOpenFiles(), config.fileLayer());
        this.flusher = config.flush().mode() == FlushPolicy.Mode.INTERVAL
                ? Thread.ofPlatform().daemon().name("tailbus-log-flusher").unstarted(this::flushPeriodically)
                : null;
    }

    /** The append lock: queries that copy memory (topic tables) hold it briefly. */
    ReentrantLock lock() {
        return lock;
    }

    /** Starts the interval flusher, if the flush policy has one. */
    void start() {
        if (flusher != null) {
            flusher.start();
        }
    }

    /**
     * Loads the store ({@link LogLoader}) and makes it what readers see; returns the number of
     * segments. With {@code rebuild}, every index is rebuilt, and what was loaded before is
     * closed first. Under the lock (or before the log is shared).
     */
    int load(boolean rebuild) throws IOException {
        for (Partition p : partitions) {
            p.close();
        }
        partitionsByPrefix.clear();
        partitions = new Partition[0];
        routes.clear();
        lastRoutedTopic = null;
        LogLoader.Loaded loaded = new LogLoader(root, files, buffers, newFolders).load(rebuild);
        reservation = loaded.reservation();
        foreign = loaded.foreign();
        partitionsByPrefix.putAll(loaded.partitions());
        Partition[] all = loaded.partitions().values().toArray(new Partition[0]);
        for (int i = 0; i < all.length; i++) {
            all[i].index = i;
            for (String topic : all[i].topics()) {
                journal.add(i, topic);
            }
        }
        partitions = all;
        long max = loaded.maxPosition();
        // readers see what the files hold; new positions come after every one that may have been
        // handed out before (lost in a power cut, or given to events no file stores)
        nextPosition = Math.max(max, reservation.reserved()) + 1;
        // records left unindexed for want of room come back at the next open: readers stop before
        // them, so that none appears later behind a position a reader has passed
        incomplete = loaded.incomplete();
        deferredLive = loaded.deferredLive();
        maxLoaded = max;
        lastPosition = Math.min(max, loaded.hiddenFrom() - 1);
        version++;
        long now = config.clock().millis();
        for (Partition p : all) {
            p.retain(config, now);
        }
        lastRetentionMillis = now;
        return loaded.segments();
    }

    /**
     * Appends a batch (topics already checked), as {@link EventLog#append} says; when this caller
     * wrote a group, {@code visible} is called with the group's last position after the lock is
     * released and before this returns.
     */
    List<AppendedEvent> append(List<EventToAppend> batch, LongConsumer visible) {
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
            visible.accept(published);
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
            if (incomplete != null && deferredLive != null && !closed) {
                indexDeferred();
            }
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

    /**
     * Indexes the records the open left unindexed for want of room, if there is room now (else
     * takes the attempt back, keeping the records); then lifts the readers' limit and takes
     * appends. Under the lock.
     */
    private void indexDeferred() {
        try {
            for (Partition p : deferredLive) {
                for (String t : p.indexTail()) {
                    newTopics.add(p);
                    newTopicNames.add(t);
                }
            }
            for (Partition p : deferredLive) {
                p.force(true);
            }
            for (Partition p : deferredLive) {
                p.publish();
            }
            buffers.unpublished().clear();
            publishNewPartitionsAndTopics();
            lastPosition = Math.max(lastPosition, maxLoaded);
            incomplete = null;
            deferredLive = null;
            LOG.log(Level.INFO, "the store at " + root + " indexed the records it had left for want of room: "
                    + "appends go on");
        } catch (IOException | RuntimeException e) {
            newTopics.clear();
            newTopicNames.clear();
            if (DiskSpace.isExhausted(e)) {
                try {
                    buffers.unpublished().rewind();
                    for (Partition p : deferredLive) {
                        p.rewind(true);
                    }
                    return; // still no room: the records stay for the next try
                } catch (IOException | RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            incomplete = null;
            deferredLive = null;
            fail(root, e);
        }
    }

    /** Why the log takes no appends now (closed, or failed), or null. */
    private LogException refusal() {
        if (closed) {
            return new LogException(Kind.UNAVAILABLE, "the store at " + root + " is closed", root, null, null);
        }
        if (incomplete != null) {
            return new LogException(Kind.EXHAUSTED, incomplete.getMessage(), incomplete.path(), null, incomplete);
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
                files.layer().forceFolder(folder);
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
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            // a group that found no room, no descriptor or no memory is taken back whole: the next
            // append simply tries again; anything else leaves files the log cannot trust
            boolean shortOf = DiskSpace.isExhausted(e) || Descriptors.isShort(e) || e instanceof OutOfMemoryError;
            LogException failed = shortOf && rewind(e) ? exhausted(writing, e) : fail(writing, e);
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
    private boolean rewind(Throwable failure) {
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
    private LogException exhausted(Path file, Throwable e) {
        Path at = file == null ? root : file;
        LogException refused = DiskSpace.isExhausted(e) ? LogException.exhausted(root, at, e)
                : LogException.shortOf(root, at, e, files.openCount());
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
    private LogException fail(Path file, Throwable e) {
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
            if (p == null && foreign.contains(prefixes.get(i))) {
                throw LogException.badTopic(topic, "its file " + SegmentFiles.live(root, prefixes.get(i))
                        + " is not a store file (its first record is not an event): move it away to store this topic");
            }
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
    long lastPosition() {
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

    boolean isClosed() {
        return closed;
    }

    private void flushPeriodically() {
        while (!closed) {
            LockSupport.parkNanos(config.flush().intervalMillis() * 1_000_000L);
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

    /**
     * Takes no more appends, forces per policy and closes every file; notes the last position
     * given. Idempotent.
     *
     * @throws LogException when a file cannot be forced or closed (not after an earlier failed write)
     */
    void close() {
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
            if (flusher != null) {
                LockSupport.unpark(flusher);
            }
            if (thrown != null) {
                throw thrown;
            }
        } finally {
            lock.unlock();
        }
    }
}
