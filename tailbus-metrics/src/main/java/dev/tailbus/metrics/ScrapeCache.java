package dev.tailbus.metrics;

import java.util.function.Supplier;

/**
 * A figure that is costly to take (a walk over the store, a turn of tailsrv's loop), taken once
 * for all the metrics of one scrape: a value younger than {@link #FRESH_NANOS} is reused.
 *
 * <p>Thread-safe.
 */
final class ScrapeCache<T> {
    /** How long a value serves: longer than one scrape takes, shorter than any scrape interval. */
    static final long FRESH_NANOS = 200_000_000L;

    private final Supplier<T> source;
    private T value;
    private long takenAt;

    ScrapeCache(Supplier<T> source) {
        this.source = source;
    }

    synchronized T get() {
        long now = System.nanoTime();
        if (value == null || now - takenAt > FRESH_NANOS) {
            value = source.get();
            takenAt = now;
        }
        return value;
    }
}
