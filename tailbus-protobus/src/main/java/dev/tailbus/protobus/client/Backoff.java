package dev.tailbus.protobus.client;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * When to call a server again after a call ended because it went away: after a delay that starts
 * at {@code first} and doubles up to {@code max}, until {@code giveUpAfter} has passed since the
 * outage began. A call that worked (delivered an event, or stayed open {@code healthy}) ends the
 * outage: the next loss starts a new one with the first delay.
 *
 * <p>Design note: times come from an injected nanosecond clock ({@code System::nanoTime} in use),
 * so that tests drive the schedule without waiting. Not thread-safe: the subscriber calls it
 * under its lock.
 */
final class Backoff {
    /** Give up: the outage lasted too long. */
    static final long GIVE_UP = -1;

    private final long firstMillis;
    private final long maxMillis;
    private final long giveUpNanos;
    private final long healthyNanos;
    private final LongSupplier clock;
    private long outageStart = -1;
    private int attempt;

    Backoff(Duration first, Duration max, Duration healthy, Duration giveUpAfter, LongSupplier clock) {
        this.firstMillis = first.toMillis();
        this.maxMillis = max.toMillis();
        this.healthyNanos = healthy.toNanos();
        this.giveUpNanos = giveUpAfter.toNanos();
        this.clock = clock;
    }

    /** The clock's reading now, to pass back as a call's start. */
    long now() {
        return clock.getAsLong();
    }

    /**
     * A call that started at {@code callStart} (a reading of the clock) ended by losing the
     * server: the delay in milliseconds before the next call, or {@link #GIVE_UP}.
     *
     * @param worked whether the call delivered anything
     */
    long afterLoss(long callStart, boolean worked) {
        long now = clock.getAsLong();
        if (worked || now - callStart >= healthyNanos || outageStart < 0) {
            outageStart = now;
            attempt = 0;
        }
        if (now - outageStart > giveUpNanos) {
            return GIVE_UP;
        }
        long delay = Math.min(maxMillis, firstMillis << Math.min(attempt, 20));
        attempt++;
        return delay;
    }
}
