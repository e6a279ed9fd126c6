package dev.tailbus.tailsrv;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * tailsrv: {@code tail -f} as a TCP server. Each served file has its own port; a client sends
 * one header line with a byte offset and is then sent the file from there on, and everything
 * appended to it, for as long as it stays.
 *
 * <p>{@link #start} checks the files, binds every port (before the files need to exist) and
 * starts the {@link TailConductor}'s thread, which serves every client and hears of file
 * changes from the {@link FileWatcher} (which has a thread of its own only where the selector
 * cannot wait for inotify itself). The number of threads does not grow with clients.
 *
 * <p>Threading: all methods may be called from any thread.
 */
public final class TailServer implements AutoCloseable {
    private static final int BACKLOG = 4096;

    private final Selector selector;
    private final FileWatcher watcher;
    private final TailConductor conductor;
    private final Thread thread;
    private final Map<ServedFile, Integer> ports;
    private volatile Throwable failure;
    private boolean closed;

    private TailServer(Selector selector, FileWatcher watcher, TailConductor conductor, Map<ServedFile, Integer> ports) {
        this.selector = selector;
        this.watcher = watcher;
        this.conductor = conductor;
        this.ports = ports;
        this.thread = Thread.ofPlatform().name("tailsrv-conductor").unstarted(this::conduct);
    }

    /**
     * Checks the files, binds the ports and starts serving. Throws a {@link TailsrvException}
     * naming the path or address if a file cannot be served or a port cannot be bound.
     */
    public static TailServer start(TailsrvConfig config) {
        for (ServedFile file : config.files()) {
            WatchedFile.check(file.path());
        }
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            SelectorLink.Opened<Selector> selecting = SelectorLink.openSelector();
            Selector selector = selecting.value();
            opened.add(selector);
            Map<WatchedFile, ServerSocketChannel> listeners = new LinkedHashMap<>();
            Map<ServedFile, Integer> ports = new LinkedHashMap<>();
            for (ServedFile file : config.files()) {
                ServerSocketChannel listener = bind(config, file);
                opened.add(listener);
                listener.configureBlocking(false);
                WatchedFile watched = new WatchedFile(file);
                // Closed with the rest if the start fails after prepare() opened the file.
                opened.add(watched);
                listeners.put(watched, listener);
                ports.put(file, ((InetSocketAddress) listener.getLocalAddress()).getPort());
            }
            FileWatcher watcher = FileWatcher.open(selecting.descriptor(), selector::wakeup);
            opened.add(watcher);
            TailConductor conductor = new TailConductor(config, selector, watcher, listeners);
            conductor.prepare();
            TailServer server = new TailServer(selector, watcher, conductor, ports);
            watcher.start();
            server.thread.start();
            return server;
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable closeable : opened.reversed()) {
                try {
                    closeable.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (e instanceof TailsrvException t) {
                throw t;
            }
            throw new TailsrvException(TailsrvException.Kind.IO, "cannot start: " + e.getMessage(), e);
        }
    }

    private static ServerSocketChannel bind(TailsrvConfig config, ServedFile file) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open();
        InetSocketAddress address = new InetSocketAddress(config.bindAddress(), file.port());
        try {
            listener.bind(address, BACKLOG);
            return listener;
        } catch (IOException e) {
            listener.close();
            String why = e instanceof BindException && e.getMessage() != null ? e.getMessage() : String.valueOf(e.getMessage());
            throw new TailsrvException(TailsrvException.Kind.UNAVAILABLE,
                    "cannot listen on " + config.bindAddress().getHostAddress() + ":" + file.port()
                            + " for " + file.path() + ": " + why, e);
        }
    }

    /** The port {@code file} is served on: the one asked for, or the one the system chose for 0. */
    public int port(ServedFile file) {
        Integer port = ports.get(file);
        if (port == null) {
            throw new IllegalArgumentException(file + " is not served here");
        }
        return port;
    }

    /** Each served file with its bound port, in the order of the configuration. */
    public Map<ServedFile, Integer> ports() {
        return Map.copyOf(ports);
    }

    /**
     * Waits until the server stops: closed, or every file gone without lingering. Throws the
     * failure that stopped it, if one did.
     */
    public void awaitTermination() throws InterruptedException {
        thread.join();
        Throwable stopped = failure;
        if (stopped instanceof TailsrvException t) {
            throw t;
        }
        if (stopped != null) {
            throw new TailsrvException(TailsrvException.Kind.IO, "serving failed: " + stopped, stopped);
        }
    }

    /**
     * The figures of every served file (clients, bytes sent, clients behind, headers refused),
     * taken on the serving thread at its next turn; an empty list once the server has stopped.
     */
    public CompletableFuture<List<FileStats>> stats() {
        return conductor.stats();
    }

    /** Whether the server still serves. */
    public boolean isRunning() {
        return thread.isAlive();
    }

    private void conduct() {
        try {
            conductor.run();
        } catch (Throwable t) {
            failure = t;
        } finally {
            watcher.close();
            try {
                selector.close();
            } catch (IOException e) {
                // Every channel is closed by now; nothing is lost.
            }
        }
    }

    /** Disconnects every client, closes every port and waits for the threads. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        conductor.stop();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
