package dev.tailbus.core.log;

import dev.tailbus.core.fs.Closeables;
import dev.tailbus.core.fs.Durable;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.function.Predicate;

/**
 * The segments of one file prefix, oldest first, the last one live: appends go to the live
 * segment, which is rotated by size or time of day and whose oldest siblings are deleted by
 * retention.
 *
 * <p>Threading: {@link #segments()} and {@link #topics()} are safe on any thread (arrays replaced,
 * never changed); everything else is called under the log's lock.
 */
final class Partition {
    private static final System.Logger LOG = System.getLogger(Partition.class.getName());

    final String prefix;
    private final Path root;
    private volatile Segment[] segments;
    private volatile SegmentWriter writer;
    private final WriteBuffers buffers;
    /** The topics' names for a quick "have we seen it": made only once there are many. */
    private HashSet<String> topicSet;
    private volatile String[] topics = NO_TOPICS;
    private static final String[] NO_TOPICS = new String[0];
    /** When the live segment got its first event, ms since the epoch by the log's clock. */
    private long liveSince = Long.MIN_VALUE;
    /** The first moment of the configured time of day after {@link #liveSince}: rotate from then. */
    private long rotateFrom = Long.MAX_VALUE;
    boolean dirty;
    /** This partition's place in the log's partitions (which only grow); set when added. */
    int index;
    /** Segments retention took out but could not delete yet: tried again at the next retention. */
    private List<Segment> undeleted;

    Partition(Path root, String prefix, Segment[] segments, SegmentWriter writer, WriteBuffers buffers) {
        this.root = root;
        this.buffers = buffers;
        this.prefix = prefix;
        this.segments = segments;
        this.writer = writer;
        for (Segment s : segments) {
            for (String t : s.topics.names()) {
                addTopic(t);
            }
        }
        Segment live = writer.segment();
        if (live.entries > 0) {
            liveSince = Math.floorDiv(live.firstTime, 1_000_000L);
        }
    }

    /**
     * Creates the first, live segment of a new prefix. The folders that got a new entry (the
     * segment's, and each new folder's parent) are added to {@code toForce}, for the caller to
     * force once for all the prefixes it creates together; with null they are forced here.
     */
    static Partition create(Path root, String prefix, OpenFiles files, WriteBuffers buffers,
                            java.util.Collection<Path> toForce) throws IOException {
        Path file = SegmentFiles.live(root, prefix);
        Path created = file.getParent();
        while (!Files.exists(created.getParent()) && created.getParent().startsWith(root)) {
            created = created.getParent();
        }
        boolean newFolders = !Files.exists(created);
        Files.createDirectories(file.getParent());
        Segment live = Segment.open(file, files);
        try {
            // the files themselves are made by the first write (the index's header with it)
            // force every folder that got a new entry: the segment's, and each new folder's parent
            for (Path folder = file.getParent(); folder != null && folder.startsWith(root); folder = folder.getParent()) {
                if (toForce == null) {
                    Durable.forceFolder(folder);
                } else {
                    toForce.add(folder);
                }
                if (!newFolders || folder.equals(created.getParent())) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            live.close();
            throw e;
        }
        return new Partition(root, prefix, new Segment[] {live}, new SegmentWriter(live, buffers, true), buffers);
    }

    Segment[] segments() {
        return segments;
    }

    Segment live() {
        return writer.segment();
    }

    /** The topics this partition has stored, in order of first appearance. */
    String[] topics() {
        return topics;
    }

    boolean hasTopic(Predicate<String> filter) {
        for (String t : topics) {
            if (filter.test(t)) {
                return true;
            }
        }
        return false;
    }

    private void startedAt(long millis, LogConfig config) {
        liveSince = millis;
        rotateFrom = config.rotateAtUtc() == null ? Long.MAX_VALUE
                : lastRotationTime(config, millis) + java.util.concurrent.TimeUnit.DAYS.toMillis(1);
    }

    /**
     * Buffers one event; returns whether its topic is new to this partition. A rotation adds the
     * folder of the new live segment to {@code toForce} (see {@link #rotate}).
     */
    boolean append(String topic, long position, long time, byte[] stored, LogConfig config, long nowMillis,
                   java.util.Collection<Path> toForce) throws IOException {
        if (rotateFrom == Long.MAX_VALUE && config.rotateAtUtc() != null && live().entries > 0) {
            startedAt(liveSince, config); // reopened: the live segment's age comes from its first event
        }
        // Only at the group's first event here: a rotation publishes the old segment, so rotating
        // after this group wrote to it would publish events that a failure of a later write of the
        // group (no room) could no longer take back. The entry limit is the one exception.
        if (shouldRotate(config, nowMillis) && (!dirty || live().entries >= Integer.MAX_VALUE - 1)) {
            rotate(toForce);
            retain(config, nowMillis);
        }
        if (live().entries == 0) {
            startedAt(nowMillis, config);
        }
        dirty = true;
        // a topic the segment knows is one the partition knows: only a new one needs the set
        return writer.append(topic, position, time, stored) && addTopic(topic);
    }

    private boolean addTopic(String topic) {
        String[] now = topics;
        if (topicSet != null) {
            if (!topicSet.add(topic)) {
                return false;
            }
        } else {
            for (String t : now) {
                if (t.equals(topic)) {
                    return false;
                }
            }
            if (now.length >= 8) {
                topicSet = new HashSet<>(List.of(now));
                topicSet.add(topic);
            }
        }
        String[] grown = Arrays.copyOf(topics, topics.length + 1);
        grown[topics.length] = topic;
        topics = grown;
        return true;
    }

    private boolean shouldRotate(LogConfig config, long nowMillis) {
        Segment live = live();
        if (live.entries == 0) {
            return false;
        }
        if (live.entries >= Integer.MAX_VALUE - 1) {
            return true;
        }
        if (config.rotateAboveBytes() > 0 && live.dataEnd >= config.rotateAboveBytes()) {
            return true;
        }
        return nowMillis >= rotateFrom;
    }

    /** The latest instant, at or before now, at which the configured UTC time of day occurred. */
    static long lastRotationTime(LogConfig config, long nowMillis) {
        Instant now = Instant.ofEpochMilli(nowMillis);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        Instant at = today.atTime(config.rotateAtUtc()).toInstant(ZoneOffset.UTC);
        if (at.isAfter(now)) {
            at = today.minusDays(1).atTime(config.rotateAtUtc()).toInstant(ZoneOffset.UTC);
        }
        return at.toEpochMilli();
    }

    /**
     * Closes the live segment under its numbered name and starts a new live {@code PREFIX.pb}.
     * The new segment's files are made by its first write, like a new partition's: so a full disk
     * fails a write (which the log takes back) rather than the rotation, and its folder, added to
     * {@code toForce}, is forced before any of its records becomes visible.
     */
    void rotate(java.util.Collection<Path> toForce) throws IOException {
        Segment old = live();
        writer.flush();
        old.force(true); // its index too: a rotated segment's index is trusted at the next open
        old.publish();
        old.renameTo(SegmentFiles.rotated(root, prefix, old.firstPosition()));
        old.closeWriter();
        Path file = SegmentFiles.live(root, prefix);
        Segment fresh = Segment.open(file, old.files());
        toForce.add(file.toAbsolutePath().getParent());
        writer = new SegmentWriter(fresh, buffers, true);
        Segment[] grown = Arrays.copyOf(segments, segments.length + 1);
        grown[segments.length] = fresh;
        segments = grown;
        LOG.log(Level.DEBUG, "rotated " + old.dataPath());
    }

    /**
     * Deletes the oldest closed segments beyond the retention limits; returns how many left the
     * partition. A segment whose files cannot be deleted leaves it all the same (readers skip it)
     * and its deletion is tried again at the next call: a failed delete never fails the log.
     */
    int retain(LogConfig config, long nowMillis) {
        if (undeleted != null) {
            List<Segment> retry = undeleted;
            undeleted = null;
            retry.forEach(this::delete);
        }
        int deleted = 0;
        while (segments.length > 1) {
            Segment oldest = segments[0];
            boolean expired = config.retainAge() != null
                    && oldest.lastTime < (nowMillis - config.retainAge().toMillis()) * 1_000_000L;
            boolean tooBig = false;
            if (config.retainBytes() > 0) {
                long total = 0;
                for (Segment s : segments) {
                    total += s.dataEnd;
                }
                tooBig = total > config.retainBytes();
            }
            if (!expired && !tooBig) {
                break;
            }
            LOG.log(Level.INFO, "retention deletes " + oldest.dataPath());
            segments = Arrays.copyOfRange(segments, 1, segments.length);
            deleted++;
            delete(oldest);
        }
        return deleted;
    }

    private void delete(Segment segment) {
        try {
            segment.delete();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "retention could not delete " + segment.dataPath() + " (" + e
                    + "); trying again later");
            if (undeleted == null) {
                undeleted = new ArrayList<>();
            }
            undeleted.add(segment);
        }
    }

    /** Segments retention could not delete yet (tests). */
    int undeletedCount() {
        return undeleted == null ? 0 : undeleted.size();
    }

    /**
     * Takes back what a write group that failed for want of room buffered or wrote to the live
     * segment ({@link Segment#rewind()}; the topic tables first, by {@link UnpublishedEntries}), so
     * that appends go on from what readers saw. The partition's topics are those its segments hold.
     */
    void rewind() throws IOException {
        rewind(false);
    }

    /** As {@link #rewind()}; with {@code keepData} the live segment's data file is left as it is. */
    void rewind(boolean keepData) throws IOException {
        writer.discard();
        Segment live = live();
        if (!live.dataPath().equals(SegmentFiles.live(root, prefix))) {
            // a rotation renamed it and failed after: not a state to go on from
            throw new IOException("the live segment of " + prefix + " was renamed to " + live.dataPath());
        }
        boolean headerless = live.rewind(keepData);
        writer = new SegmentWriter(live, buffers, headerless);
        dirty = false;
        java.util.LinkedHashSet<String> held = new java.util.LinkedHashSet<>();
        for (Segment s : segments) {
            held.addAll(List.of(s.topics.names()));
        }
        topicSet = held.size() > 8 ? new HashSet<>(held) : null;
        topics = held.toArray(NO_TOPICS); // replaced at once, never changed in place
        if (live.entries == 0) {
            liveSince = Long.MIN_VALUE;
            rotateFrom = Long.MAX_VALUE;
        }
    }

    /**
     * Indexes the live segment's records that the open left unindexed for want of room
     * ({@link SegmentRecovery#indexTail}); visible after {@link #publish()}. Returns the topics new
     * to the partition.
     */
    List<String> indexTail() throws IOException {
        Segment live = live();
        boolean headerless = live.readyIndexForTail();
        writer.discard();
        writer = new SegmentWriter(live, buffers, headerless);
        SegmentRecovery.indexTail(live, writer);
        dirty = true;
        List<String> added = new ArrayList<>();
        for (String t : live.topics.names()) {
            if (addTopic(t)) {
                added.add(t);
            }
        }
        return added;
    }

    /** Whether this partition holds {@code topic}. */
    boolean holds(String topic) {
        if (topicSet != null) {
            return topicSet.contains(topic);
        }
        for (String t : topics) {
            if (t.equals(topic)) {
                return true;
            }
        }
        return false;
    }

    /** Writes buffered records to the OS. */
    void flush() throws IOException {
        writer.flush();
    }

    /** Forces the live segment's data (and its index when {@code withIndex}), if written since. */
    void force(boolean withIndex) throws IOException {
        live().force(withIndex);
    }

    /** Makes the written records visible to readers. */
    void publish() {
        live().publish();
        dirty = false;
    }

    void close() throws IOException {
        // Newest first: the reverse of the order they were opened in.
        List<Segment> newestFirst = new ArrayList<>(List.of(segments));
        Collections.reverse(newestFirst);
        Closeables.closeAll(newestFirst.stream().map(s -> (Closeable) s::close).toArray(Closeable[]::new));
    }

    @Override
    public String toString() {
        return prefix;
    }
}
