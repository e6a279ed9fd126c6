package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One bus's settings, validated once.
 *
 * @param paths the bus's files
 * @param blockSize the largest chunk in bytes (at least 1)
 * @param sleepInterval how long input may pause before a partial chunk is written, and how often
 *     the bus is checked when file monitoring is off
 * @param lossless the back-pressure protocol: each chunk goes to exactly one consumer
 * @param fileMonitoring inotify wakes the waiting side; off: check every sleep interval
 * @param chunking how a producer cuts its input
 */
public record BusConfig(BusPaths paths, int blockSize, Duration sleepInterval, boolean lossless, boolean fileMonitoring,
        Chunking chunking) {
    public static final int DEFAULT_BLOCK_SIZE = 4096;
    /** The largest chunk: both sides hold a few chunk-sized buffers in memory. */
    public static final int MAX_BLOCK_SIZE = 256 * 1024 * 1024;
    public static final Duration DEFAULT_SLEEP_INTERVAL = Duration.ofMillis(100);

    public BusConfig {
        if (blockSize < 1 || blockSize > MAX_BLOCK_SIZE) {
            throw new FilebusException(Kind.BAD_INPUT, paths.data(),
                    "--block-size must be between 1 and " + MAX_BLOCK_SIZE + " bytes, not " + blockSize);
        }
        if (sleepInterval.isNegative() || sleepInterval.isZero()) {
            throw new FilebusException(Kind.BAD_INPUT, paths.data(),
                    "--sleep-interval must be a positive number of seconds");
        }
        if (Files.isDirectory(paths.data())) {
            throw new FilebusException(Kind.BAD_INPUT, paths.data(), "--filename " + paths.data() + " is a directory");
        }
    }

    /** Parses a {@code --sleep-interval} value: seconds, possibly fractional, as the reference. */
    public static Duration parseSeconds(String text) {
        double seconds;
        try {
            seconds = Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new FilebusException(Kind.BAD_INPUT, Path.of(""), "--sleep-interval takes a number of seconds, not '" + text + "'");
        }
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new FilebusException(Kind.BAD_INPUT, Path.of(""), "--sleep-interval must be a positive number of seconds, not '" + text + "'");
        }
        long nanos = (long) Math.max(1_000, Math.min(seconds * 1e9, 86_400e9));
        return Duration.ofNanos(nanos);
    }
}
