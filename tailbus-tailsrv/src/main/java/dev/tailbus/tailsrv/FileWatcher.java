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
 * The inotify side of tailsrv: one thread that sleeps in {@code poll(2)} on the inotify
 * descriptor, queues the events it reads, and wakes the conductor's selector.
 *
 * <p>Design note: a Java {@link java.nio.channels.Selector} cannot wait on an inotify
 * descriptor, so one extra thread bridges the two. It is the only thread besides the conductor,
 * whatever the number of clients or files, and it costs nothing while the files are quiet.
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
    private final Thread thread;
    private volatile boolean closed;
    private volatile IOException failure;

    private FileWatcher(Inotify inotify, Runnable wake) {
        this.inotify = inotify;
        this.wake = wake;
        this.thread = Thread.ofPlatform().name("tailsrv-inotify").daemon().unstarted(this::watch);
    }

    /** Opens an inotify instance; {@code wake} is run after each batch of events is queued. */
    static FileWatcher open(Runnable wake) throws IOException {
        return new FileWatcher(Inotify.open(), wake);
    }

    void start() {
        thread.start();
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
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
