package dev.tailbus.filebus;

import dev.tailbus.core.fs.Inotify;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Wakes a waiting producer or consumer when the bus file F is created, replaced or deleted.
 *
 * <p>Design note: with file monitoring, one inotify watch on F's folder reports renames onto F
 * and deletions of F; events about other names (the staging file, the lock file) are ignored. The
 * watch is made before the caller first looks at F, so no change between a look and a wait is
 * missed. Without monitoring, or where inotify cannot be had, a wait is a sleep of the interval.
 *
 * <p>Called from one thread.
 */
final class BusWatcher implements Closeable {
    /**
     * Renames and deletions only: by the protocol F only ever appears by a rename onto it. Events
     * of the staging file's creation and writing would wake a waiting peer three times a chunk.
     */
    private static final int MASK = Inotify.MOVED_TO | Inotify.MOVED_FROM | Inotify.DELETE;
    /** With inotify, a wait still ends after this long, in case the folder itself was replaced. */
    private static final long SAFETY_MILLIS = 1_000;

    private final BusPaths paths;
    private final Duration interval;
    private final Inotify inotify;

    private BusWatcher(BusPaths paths, Duration interval, Inotify inotify) {
        this.paths = paths;
        this.interval = interval;
        this.inotify = inotify;
    }

    /** Watches F of {@code paths}; {@code monitoring} false (or no inotify) polls every interval. */
    static BusWatcher open(BusPaths paths, boolean monitoring, Duration interval) {
        Inotify inotify = null;
        if (monitoring) {
            try {
                inotify = Inotify.open();
                inotify.addWatch(paths.folder(), MASK);
            } catch (IOException | RuntimeException | LinkageError e) {
                if (inotify != null) {
                    inotify.close();
                }
                inotify = null;
                Log.debug(() -> "file monitoring unavailable, polling every " + interval.toMillis() + " ms: " + e.getMessage());
            }
        }
        return new BusWatcher(paths, interval, inotify);
    }

    /** Whether a change of F is reported by events (true) or found by polling (false). */
    boolean monitoring() {
        return inotify != null;
    }

    /** Waits until F may have changed; returns whether an event about F was seen. */
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
        return aboutData(inotify.poll(SAFETY_MILLIS));
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
