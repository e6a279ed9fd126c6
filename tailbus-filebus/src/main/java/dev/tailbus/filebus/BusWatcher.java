package dev.tailbus.filebus;

import dev.tailbus.core.fs.Inotify;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Wakes a waiting producer or consumer when the bus file F appears (a consumer's wait) or goes (a
 * lossless producer's wait).
 *
 * <p>Design note: with file monitoring, one inotify watch on F's folder reports only the events
 * that end this side's wait: a rename onto F for a consumer; a deletion of F for a producer. Events about other names (the staging file) are read and ignored within
 * the same wait. The watch is made before the caller first looks at F, so no change between a
 * look and a wait is missed. Without monitoring, or where inotify cannot be had, a wait is a
 * sleep of the interval.
 *
 * <p>Design note on the spin (50 us unless {@code -Dtailbus.filebus.spin-us=N}): in a lossless
 * stream each chunk costs two waits, one on each side,
 * and being put to sleep and woken again costs about as much as the peer's whole turn (tens of
 * microseconds, more on a virtual machine). So a wait first looks for the event without sleeping
 * for up to {@link #spinNanos}, yielding the processor between looks so that the peer, and this
 * process's own input thread, can run on a machine with few cores. It spins only while it pays:
 * when the last wait took longer than {@link #SPIN_AFTER_NANOS} (a quiet bus, a slow peer), the
 * next one sleeps at once, so an idle bus costs no processor time; and when fewer than half of
 * the last {@link #SPIN_WINDOW} spins saw their event (a peer slower than the spin, a machine so
 * busy that the peer does not get to run), the next {@link #SPIN_PAUSE} waits sleep at once.
 *
 * <p>Called from one thread.
 */
final class BusWatcher implements Closeable {
    /** What a wait is for. */
    enum Awaited {
        /** A consumer's: F appears, by a rename onto it. */
        APPEARS(Inotify.MOVED_TO),
        /**
         * A lossless producer's: F is taken (deleted). Not a rename away, which no consumer of the
         * protocol does: watching for it would wake the producer at each of its own renames (the
         * staging file moving away), and the safety wake-up still notices one within a second.
         */
        GOES(Inotify.DELETE);

        final int mask;

        Awaited(int mask) {
            this.mask = mask;
        }
    }

    /** With inotify, a wait still ends after this long, in case the folder itself was replaced. */
    private static final long SAFETY_MILLIS = 1_000;
    /**
     * How long a wait looks for its event before it sleeps, in microseconds: system property
     * {@code tailbus.filebus.spin-us}, 50 by default (0: never). Measured on a quiet 2-core
     * machine (see the README), 50 us took 4 KiB chunks from about 12,000 to 20,000 a second with
     * less processor time, since a sleeping core's wake-up is what a handoff waits for there, and
     * was even at 64 KiB; on a busy machine, whose cores do not sleep, it won and lost about
     * equally, and the pause below keeps it from spinning where it does not pay.
     */
    private static final long DEFAULT_SPIN_MICROS = 50;
    /** How long taking the lock after a wake-up tries before it blocks, in microseconds. */
    private static final long DEFAULT_LOCK_SPIN_MICROS = 0;
    /** A wait longer than this means the peer is not streaming: the next wait does not spin. */
    private static final long SPIN_AFTER_NANOS = 1_000_000;

    private final BusPaths paths;
    private final Duration interval;
    private final Inotify inotify;
    /** How many spinning waits are judged together. */
    private static final int SPIN_WINDOW = 64;
    /** How many waits do without the spin after a window in which it did not pay. */
    private static final int SPIN_PAUSE = 1024;

    private final long spinNanos;
    private final long lockSpinNanos = Math.max(0, Long.getLong("tailbus.filebus.lock-spin-us", DEFAULT_LOCK_SPIN_MICROS)) * 1_000;
    private long lastWaitNanos;
    private int spins;
    private int spinHits;
    private int pausedWaits;

    private BusWatcher(BusPaths paths, Duration interval, Inotify inotify, long spinNanos) {
        this.paths = paths;
        this.interval = interval;
        this.inotify = inotify;
        this.spinNanos = spinNanos;
    }

    /** Watches F of the bus of {@code config}, for what {@code awaited} names. */
    static BusWatcher open(BusConfig config, Awaited awaited) {
        long spinNanos = Math.max(0, Long.getLong("tailbus.filebus.spin-us", DEFAULT_SPIN_MICROS)) * 1_000;
        return open(config.paths(), config.fileMonitoring(), config.sleepInterval(), awaited, spinNanos);
    }

    /**
     * Watches F of {@code paths}; {@code monitoring} false (or no inotify) polls every interval. A
     * wait spins up to {@code spinNanos} (0: never) while that pays.
     */
    static BusWatcher open(BusPaths paths, boolean monitoring, Duration interval, Awaited awaited, long spinNanos) {
        Inotify inotify = null;
        if (monitoring) {
            try {
                inotify = Inotify.open();
                inotify.addWatch(paths.folder(), awaited.mask);
            } catch (IOException | RuntimeException | LinkageError e) {
                if (inotify != null) {
                    inotify.close();
                }
                inotify = null;
                Log.debug(() -> "file monitoring unavailable, polling every " + interval.toMillis() + " ms: " + e.getMessage());
            }
        }
        return new BusWatcher(paths, interval, inotify, spinNanos);
    }

    /** Whether a change of F is reported by events (true) or found by polling (false). */
    boolean monitoring() {
        return inotify != null;
    }

    /**
     * Waits until F may have appeared or gone, as this watcher awaits; returns whether an event
     * about F was seen (false: the time ran out, or there is no inotify).
     */
    boolean await() throws IOException {
        if (inotify == null) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + paths.data(), e);
            }
            return false;
        }
        long start = System.nanoTime();
        long spin = spinNanos();
        if (pausedWaits > 0) {
            pausedWaits--;
        }
        try {
            while (true) {
                long left = SAFETY_MILLIS - (System.nanoTime() - start) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                List<Inotify.Event> events = inotify.poll(spin, left);
                if (events.isEmpty() || aboutData(events)) {
                    return !events.isEmpty();
                }
                // Only events about other names (the staging file): go on waiting.
            }
        } finally {
            lastWaitNanos = System.nanoTime() - start;
            if (spin > 0) {
                judgeSpin(lastWaitNanos <= spin);
            }
        }
    }

    /** Counts a spinning wait that saw its event within the spin ({@code hit}), or had to sleep. */
    private void judgeSpin(boolean hit) {
        spins++;
        if (hit) {
            spinHits++;
        }
        if (spins == SPIN_WINDOW) {
            if (spinHits * 2 < spins) {
                pausedWaits = SPIN_PAUSE;
            }
            spins = 0;
            spinHits = 0;
        }
    }

    /**
     * How long a wait may look before it sleeps now: the spin while the peer answers quickly,
     * else 0.
     */
    long spinNanos() {
        return inotify != null && pausedWaits == 0 && lastWaitNanos <= SPIN_AFTER_NANOS ? spinNanos : 0;
    }

    /**
     * What taking the lock right after a wake-up by an event may spend trying before it blocks:
     * the peer that caused the event (its rename or unlink) unlocks with its very next system
     * call, so a few tries without blocking usually get the lock without being put to sleep and
     * woken again by that unlock. The wait's spin if it is on, else {@code tailbus.filebus.lock-spin-us}.
     */
    long lockSpinNanos() {
        return inotify == null ? 0 : Math.max(spinNanos(), lockSpinNanos);
    }

    /** Takes the events already queued, without waiting; returns whether one was about F. */
    boolean drain() throws IOException {
        return inotify != null && aboutData(inotify.poll(0));
    }

    private boolean aboutData(List<Inotify.Event> events) {
        String name = paths.dataName();
        for (Inotify.Event event : events) {
            if (event.is(Inotify.Q_OVERFLOW) || name.equals(event.name())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        if (inotify != null) {
            inotify.close();
        }
    }
}
