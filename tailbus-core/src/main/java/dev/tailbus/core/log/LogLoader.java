package dev.tailbus.core.log;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens what is on disk: finds every segment under the store root ({@link SegmentFiles#discover}),
 * deletes indexes of missing segments, recovers each segment and its index
 * ({@link SegmentRecovery}), gives the reference's records positions after every position that
 * may have been handed out ({@link SegmentRecovery#migrate}, reading the {@link PositionReservation}),
 * and starts the live segment a rotation cut short. Its result is the partitions, ready to append
 * to, and the highest position found.
 *
 * <p>Writes nothing to a store that is consistent (torn tails are cut, which needs no room), so a
 * store on a full disk opens.
 *
 * <p>Called only while the log opens or reindexes, before any reader or appender uses the partitions.
 */
final class LogLoader {
    private static final System.Logger LOG = System.getLogger(LogLoader.class.getName());

    private final Path root;
    private final OpenFiles files;
    private final WriteBuffers buffers;
    private final Collection<Path> newFolders;

    /**
     * What was loaded: partitions by prefix, the highest position found, the segments, the
     * reservation; and when some records could not be indexed for want of room, why appends must
     * wait for the next open ({@code incomplete}, else null) and the lowest position among those
     * records (readers must see nothing from there on, else {@link Long#MAX_VALUE}).
     */
    record Loaded(Map<String, Partition> partitions, long maxPosition, int segments,
                  PositionReservation reservation, LogException incomplete, long hiddenFrom,
                  List<Partition> deferredLive, java.util.Set<String> foreign) {
    }

    /** Prefixes whose live {@code PREFIX.pb} is not a store file: left alone, never written. */
    private final java.util.Set<String> foreign = new java.util.HashSet<>();

    /** Records left unindexed for want of room, over all segments; see {@link Loaded}. */
    private long deferred;
    private long hiddenFrom = Long.MAX_VALUE;
    private long deferredMax;
    private Path deferredFile;
    private IOException deferredCause;
    private final List<Segment> deferredSegments = new ArrayList<>();

    /**
     * A loader of the store at {@code root}; folders that get a new file (a live segment started)
     * are added to {@code newFolders}, to be forced before that file's first write is visible.
     */
    LogLoader(Path root, OpenFiles files, WriteBuffers buffers, Collection<Path> newFolders) {
        this.root = root;
        this.files = files;
        this.buffers = buffers;
        this.newFolders = newFolders;
    }

    /**
     * Discovers and recovers every segment under the root, migrating the reference's files; the
     * partitions found, by prefix, in discovery order.
     */
    Loaded load(boolean rebuild) throws IOException {
        Map<String, Partition> partitionsByPrefix = new LinkedHashMap<>();
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
        PositionReservation reservation = new PositionReservation(root);
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
        // left unindexed in live segments only: the appender indexes them once there is room
        List<Partition> deferredLive = new ArrayList<>();
        for (Segment s : deferredSegments) {
            Partition owner = null;
            for (Partition p : partitionsByPrefix.values()) {
                if (p.live() == s) {
                    owner = p;
                }
            }
            if (owner == null) {
                deferredLive = null;
                break;
            }
            deferredLive.add(owner);
        }
        LogException incomplete = null;
        if (deferredCause != null) {
            long free = dev.tailbus.core.fs.DiskSpace.usable(root);
            incomplete = new LogException(dev.tailbus.core.TailbusException.Kind.EXHAUSTED, "the store at " + root
                    + " opened without room to index " + deferred + " records (in " + deferredFile + ": "
                    + deferredCause.getMessage() + "; " + (free < 0 ? "free space unknown" : free + " bytes free")
                    + "); they are not served and appends are refused " + (deferredLive != null
                    ? "until there is room to index them" : "until the store is opened again with room"),
                    deferredFile, null, deferredCause);
            LOG.log(Level.WARNING, incomplete.getMessage());
        }
        return new Loaded(partitionsByPrefix, Math.max(max, deferredMax), count, reservation, incomplete, hiddenFrom,
                incomplete == null ? List.of() : deferredLive, foreign);
    }

    /** Recovers one segment file; null when it is not a store file (left alone, logged). */
    private SegmentWriter recover(Path file, boolean rebuild, List<Path> legacy) throws IOException {
        boolean hadIndex = Files.exists(SegmentFiles.index(file));
        if (!hadIndex && !looksLikeStoreFile(file)) {
            LOG.log(Level.WARNING, "ignoring " + file + ": its first record is not an event");
            if (SegmentFiles.rotatedPosition(file.getFileName().toString()) < 0) {
                foreign.add(SegmentFiles.prefixOf(root, file));
            }
            return null;
        }
        Segment segment = Segment.open(file, files);
        try {
            SegmentRecovery.Result result = new SegmentRecovery.Result();
            SegmentWriter writer = SegmentRecovery.recover(segment, rebuild, result, buffers);
            if (result.deferredCause != null) {
                deferredSegments.add(writer.segment());
                deferred += result.deferred;
                hiddenFrom = Math.min(hiddenFrom, result.deferredFirstPosition);
                deferredMax = Math.max(deferredMax, result.deferredLastPosition);
                if (deferredFile == null) {
                    deferredFile = file;
                    deferredCause = result.deferredCause;
                }
            }
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
}
