package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The log's configuration, validated once by {@link Builder#build()} and immutable after.
 *
 * <p>Defaults: patterns {@value StorePattern#DEFAULT} (one file per topic); no rotation; no
 * retention; flush policy {@link FlushPolicy#NONE}; the system clock; at most
 * {@value #DEFAULT_MAX_OPEN_FILES} segment files open at once.
 */
public final class LogConfig {
    /** The default bound on segment files open at once. */
    public static final int DEFAULT_MAX_OPEN_FILES = 1000;
    /** The fewest open files a log works with (a segment and its index, for writer and readers). */
    public static final int MIN_OPEN_FILES = 8;

    private final Path root;
    private final List<StorePattern> patterns;
    private final LocalTime rotateAtUtc;
    private final long rotateAboveBytes;
    private final Duration retainAge;
    private final long retainBytes;
    private final FlushPolicy flush;
    private final InstantSource clock;
    private final int maxOpenFiles;
    private final int maxHistoryDepth;
    private final LogObserver observer;
    private final FileLayer fileLayer;

    private LogConfig(Builder b) {
        this.root = b.root;
        this.patterns = List.copyOf(b.patterns.isEmpty() ? List.of(StorePattern.parse(StorePattern.DEFAULT)) : b.patterns);
        this.rotateAtUtc = b.rotateAtUtc;
        this.rotateAboveBytes = b.rotateAboveBytes;
        this.retainAge = b.retainAge;
        this.retainBytes = b.retainBytes;
        this.flush = b.flush;
        this.clock = b.clock;
        this.maxOpenFiles = b.maxOpenFiles;
        this.maxHistoryDepth = b.maxHistoryDepth;
        this.observer = b.observer;
        this.fileLayer = b.fileLayer;
    }

    /** A builder for a store at {@code root}, which must exist. */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** A configuration with every default for a store at {@code root}. */
    public static LogConfig of(Path root) {
        return builder(root).build();
    }

    /** The store root: every file of the store is under it. */
    public Path root() {
        return root;
    }

    /** The store patterns, in the order given. */
    public List<StorePattern> patterns() {
        return patterns;
    }

    /** The UTC time of day at which segments rotate, or null for none. */
    public LocalTime rotateAtUtc() {
        return rotateAtUtc;
    }

    /** The size in bytes above which a segment rotates, or 0 for no limit. */
    public long rotateAboveBytes() {
        return rotateAboveBytes;
    }

    /** How long a whole segment is kept after its last event's receive time, or null for ever. */
    public Duration retainAge() {
        return retainAge;
    }

    /** The total size of a prefix's segments above which the oldest are deleted, or 0 for no limit. */
    public long retainBytes() {
        return retainBytes;
    }

    /** The flush policy. */
    public FlushPolicy flush() {
        return flush;
    }

    /** The clock for rotation and retention. */
    public InstantSource clock() {
        return clock;
    }

    /**
     * The most segment files (data or index, for writing or reading) open at once; beyond it
     * the least recently used is closed and opened again when next needed.
     */
    public int maxOpenFiles() {
        return maxOpenFiles;
    }

    /**
     * The deepest history ({@link BusLog#lastPerTopic} depth) a query may ask for; a deeper one is
     * refused with {@link Kind#BAD_INPUT}. {@link Integer#MAX_VALUE} (the default) for no limit.
     */
    public int maxHistoryDepth() {
        return maxHistoryDepth;
    }

    /** Who hears how long writes and forces take ({@link LogObserver#NONE} by default). */
    public LogObserver observer() {
        return observer;
    }

    /** What opens, renames and forces the store's files (tests put a file layer of their own there). */
    FileLayer fileLayer() {
        return fileLayer;
    }

    /** Builds a {@link LogConfig}; not thread-safe. */
    public static final class Builder {
        private final Path root;
        private final List<StorePattern> patterns = new ArrayList<>();
        private LocalTime rotateAtUtc;
        private long rotateAboveBytes;
        private Duration retainAge;
        private long retainBytes;
        private FlushPolicy flush = FlushPolicy.NONE;
        private InstantSource clock = InstantSource.system();
        private int maxOpenFiles = DEFAULT_MAX_OPEN_FILES;
        private int maxHistoryDepth = Integer.MAX_VALUE;
        private LogObserver observer = LogObserver.NONE;
        private FileLayer fileLayer = FileLayer.FILES;

        private Builder(Path root) {
            this.root = root;
        }

        /** Adds a store pattern; with none added, {@value StorePattern#DEFAULT} applies. */
        public Builder pattern(StorePattern pattern) {
            patterns.add(Objects.requireNonNull(pattern, "pattern"));
            return this;
        }

        /** Adds a store pattern parsed from {@code FILE_PREFIX:TOPIC_REGEX}. */
        public Builder pattern(String spec) {
            return pattern(StorePattern.parse(spec));
        }

        /** Adds store patterns. */
        public Builder patterns(List<StorePattern> all) {
            all.forEach(this::pattern);
            return this;
        }

        /** Rotates every segment at this UTC time of day (null: never by time). */
        public Builder rotateAtUtc(LocalTime time) {
            this.rotateAtUtc = time;
            return this;
        }

        /** Rotates a segment once it holds at least this many bytes (0: never by size). */
        public Builder rotateAboveBytes(long bytes) {
            this.rotateAboveBytes = bytes;
            return this;
        }

        /** Deletes whole segments whose newest event is older than this (null: never by age). */
        public Builder retainAge(Duration age) {
            this.retainAge = age;
            return this;
        }

        /** Deletes the oldest segments of a prefix while they total more than this (0: never by size). */
        public Builder retainBytes(long bytes) {
            this.retainBytes = bytes;
            return this;
        }

        public Builder flush(FlushPolicy policy) {
            this.flush = Objects.requireNonNull(policy, "flush");
            return this;
        }

        public Builder clock(InstantSource source) {
            this.clock = Objects.requireNonNull(source, "clock");
            return this;
        }

        /** Keeps at most this many segment files open at once (at least {@value #MIN_OPEN_FILES}). */
        public Builder maxOpenFiles(int max) {
            this.maxOpenFiles = max;
            return this;
        }

        /** Refuses history queries deeper than this (at least 1; default: no limit). */
        public Builder maxHistoryDepth(int max) {
            this.maxHistoryDepth = max;
            return this;
        }

        /** Tells {@code watcher} how long each write and force takes. */
        public Builder observer(LogObserver watcher) {
            this.observer = Objects.requireNonNull(watcher, "observer");
            return this;
        }

        /** Works on the store's files through {@code layer} (tests: a recording file layer). */
        Builder fileLayer(FileLayer layer) {
            this.fileLayer = Objects.requireNonNull(layer, "fileLayer");
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws LogException {@link Kind#UNAVAILABLE} when the root is not a folder,
         *                      {@link Kind#BAD_INPUT} on a negative size or age, or an open-file
         *                      limit below {@value #MIN_OPEN_FILES}
         */
        public LogConfig build() {
            if (root == null) {
                throw new LogException(Kind.BAD_INPUT, "missing store root");
            }
            if (!Files.isDirectory(root)) {
                throw new LogException(Kind.UNAVAILABLE, "store root " + root + (Files.exists(root)
                        ? " is not a folder" : " does not exist (create the folder first)"), root, null, null);
            }
            if (rotateAboveBytes < 0) {
                throw new LogException(Kind.BAD_INPUT, "rotation size must not be negative: " + rotateAboveBytes);
            }
            if (retainBytes < 0) {
                throw new LogException(Kind.BAD_INPUT, "retention size must not be negative: " + retainBytes);
            }
            if (retainAge != null && (retainAge.isNegative() || retainAge.isZero())) {
                throw new LogException(Kind.BAD_INPUT, "retention age must be positive: " + retainAge);
            }
            if (maxOpenFiles < MIN_OPEN_FILES) {
                throw new LogException(Kind.BAD_INPUT, "the open-file limit must be at least " + MIN_OPEN_FILES
                        + ", got " + maxOpenFiles);
            }
            if (maxHistoryDepth < 1) {
                throw new LogException(Kind.BAD_INPUT, "the history depth limit must be at least 1, got "
                        + maxHistoryDepth);
            }
            return new LogConfig(this);
        }
    }
}
