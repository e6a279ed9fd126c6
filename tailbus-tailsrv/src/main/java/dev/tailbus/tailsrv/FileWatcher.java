package dev.tailbus.tailsrv;

import dev.tailbus.core.fs.Inotify;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The inotify side of tailsrv. Either the conductor's selector wakes for inotify events itself
 * ({@link SelectorLink}) and {@link #drain()} reads them on the conductor's thread, or, where
 * that cannot be set up, one thread sleeps in {@code poll(2)} on the inotify descriptor, queues
 * the events it reads and wakes the selector. Either way the number of threads is fixed, and a
 * quiet file costs nothing.
 *
 * <p>Threading: {@link #drain()} is called by the conductor; the watch methods and
 * {@link #close()} by any thread.
 */
final class FileWatcher implements Closeable {
    /** What tells a folder's watcher that the served name appeared or went. */
    static final int FOLDER_EVENTS = Inotify.CREATE | Inotify.MOVED_TO | Inotify.DELETE | Inotify.MOVED_FROM;
    /** What tells a file's watcher that it grew, shrank, or was moved or unlinked. */
    static final int FILE_EVENTS = Inotify.MODIFY | Inotify.ATTRIB | Inotify.MOVE_SELF | Inotify.DELETE_SELF;

    private static final System.Logger LOG = System.getLogger(FileWatcher.class.getName());

    private final Inotify inotify;
    private final Runnable wake;
    private final Queue<Inotify.Event> events = new ConcurrentLinkedQueue<>();
    /** Set this system property to true to use the watcher thread even where the link works. */
    static final String THREAD_PROPERTY = "tailbus.tailsrv.inotifyThread";

    private final Thread thread;
    private volatile boolean closed;
    private volatile IOException failure;

    private FileWatcher(Inotify inotify, Runnable wake, boolean linked) {
        this.inotify = inotify;
        this.wake = wake;
        this.thread = linked ? null : Thread.ofPlatform().name("tailsrv-inotify").daemon().unstarted(this::watch);
    }

    /**
     * Opens an inotify instance and links it to the selector whose epoll descriptor is
     * {@code selectorEpoll}; where that fails, a thread will wait for events and run
     * {@code wake} after queueing each batch.
     */
    static FileWatcher open(java.util.OptionalInt selectorEpoll, Runnable wake) throws IOException {
        Inotify inotify = Inotify.open();
        boolean linked = !Boolean.getBoolean(THREAD_PROPERTY)
                && selectorEpoll.isPresent()
                && SelectorLink.add(selectorEpoll.getAsInt(), inotify.descriptor());
        LOG.log(System.Logger.Level.DEBUG, linked ? "file events wake the selector directly"
                : "file events come through a watcher thread");
        return new FileWatcher(inotify, wake, linked);
    }

    /** Whether file events reach the selector without a thread of their own. */
    boolean isLinked() {
        return thread == null;
    }

    void start() {
        if (thread != null) {
            thread.start();
        }
    }

    int watchFolder(Path folder) throws IOException {
        return inotify.addWatch(folder, FOLDER_EVENTS);
    }

    int watchFile(Path file) throws IOException {
        return inotify.addWatch(file, FILE_EVENTS);
    }

    void unwatch(int watch) {
        inotify.removeWatch(watch);
    }

    /** The events queued since the last call; throws if the watching thread failed. */
    List<Inotify.Event> drain() throws IOException {
        if (thread == null) {
            return inotify.poll(0);
        }
        if (failure != null) {
            throw failure;
        }
        List<Inotify.Event> ready = new ArrayList<>();
        for (Inotify.Event event; (event = events.poll()) != null; ) {
            ready.add(event);
        }
        return ready;
    }

    private void watch() {
        try {
            while (!closed) {
                List<Inotify.Event> batch = inotify.poll(-1);
                if (!batch.isEmpty()) {
                    events.addAll(batch);
                    wake.run();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "file watching failed: " + e.getMessage());
                failure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                wake.run();
            }
        }
    }

    /** Stops the thread and closes the inotify instance. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        inotify.close();
        if (thread == null) {
            return;
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
