package dev.tailbus.tailsrv;

import dev.tailbus.core.fs.Inotify;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The selector loop: accepts clients on every served port, reads their headers, sends them the
 * file with sendfile(2) while their sockets take it, and feeds them again when the
 * {@link FileWatcher} reports that a file grew. One thread serves every client of every file.
 *
 * <p>Events from the watcher: growth sends the new bytes to the clients that were caught up;
 * shrinking (truncation) disconnects the clients whose position lies past the new end, so that
 * they reconnect and choose again, and the others go on; a file that is moved or deleted stops
 * its port and its clients, unless the server lingers, and the loop ends when no file is left.
 *
 * <p>Threading: {@link #run()} on one thread; {@link #stop()} from any thread.
 */
final class TailConductor implements Runnable {
    private static final System.Logger LOG = System.getLogger(TailConductor.class.getName());
    /** Bytes one client may be sent in one turn before the others get theirs. */
    static final long TURN_BUDGET = 8L * 1024 * 1024;
    private static final int ACCEPTS_PER_TURN = 1024;
    /** How long accepting pauses after it failed (out of descriptors), so as not to spin. */
    private static final long ACCEPT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final TailsrvConfig config;
    private final Selector selector;
    private final FileWatcher watcher;
    private final Map<WatchedFile, ServerSocketChannel> listeners;
    private final ArrayDeque<TailSession> awaitingHeader = new ArrayDeque<>();
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(16 * 1024);
    private final long headerTimeoutNanos;
    private long nextSessionId;
    /** When paused listeners accept again (0: none is paused). */
    private long acceptsResumeAt;
    private boolean acceptFailureLogged;
    private volatile boolean running = true;
    /** Every file served, gone ones included, for {@link #stats()}. */
    private final List<WatchedFile> served;
    private final ConcurrentLinkedQueue<CompletableFuture<List<FileStats>>> statsAsked = new ConcurrentLinkedQueue<>();

    TailConductor(TailsrvConfig config, Selector selector, FileWatcher watcher,
                  Map<WatchedFile, ServerSocketChannel> listeners) {
        this.config = config;
        this.selector = selector;
        this.watcher = watcher;
        this.listeners = new LinkedHashMap<>(listeners);
        this.served = List.copyOf(listeners.keySet());
        this.headerTimeoutNanos = config.headerTimeout().toNanos();
    }

    /**
     * Registers the listeners and starts watching the files; called once, before {@link #run()}
     * and on the thread that will start it.
     */
    void prepare() throws IOException {
        for (Map.Entry<WatchedFile, ServerSocketChannel> entry : listeners.entrySet()) {
            WatchedFile file = entry.getKey();
            entry.getValue().register(selector, SelectionKey.OP_ACCEPT, file);
            file.folderWatch = watcher.watchFolder(file.folder());
            // Opened after the folder is watched, so that a file created in between is not missed.
            openIfThere(file);
        }
    }

    /**
     * The figures of every served file, taken on the loop's thread at its next turn; completed
     * with an empty list once the loop has ended. Any thread.
     */
    CompletableFuture<List<FileStats>> stats() {
        CompletableFuture<List<FileStats>> asked = new CompletableFuture<>();
        statsAsked.add(asked);
        selector.wakeup();
        if (!running) {
            answerStats(); // the loop may have ended before seeing it; answering twice is harmless
        }
        return asked;
    }

    private void answerStats() {
        for (CompletableFuture<List<FileStats>> asked; (asked = statsAsked.poll()) != null; ) {
            asked.complete(running ? served.stream().map(f -> f.meter.stats(f)).toList() : List.of());
        }
    }

    /** Ends the loop; it closes every socket on its way out. */
    void stop() {
        running = false;
        selector.wakeup();
    }

    @Override
    public void run() {
        try {
            while (running && !listeners.isEmpty()) {
                selector.select(this::onReady, selectTimeoutMillis());
                onFileEvents(watcher.drain());
                expireHeaders();
                resumeAccepts();
                answerStats();
            }
        } catch (IOException e) {
            throw new TailsrvException(TailsrvException.Kind.IO, "serving failed: " + e.getMessage(), e);
        } finally {
            running = false;
            closeAll();
            answerStats();
        }
    }

    private long selectTimeoutMillis() {
        TailSession first = awaitingHeader.peekFirst();
        long next = first == null ? 0 : first.headerDeadlineNanos;
        if (acceptsResumeAt != 0 && (next == 0 || acceptsResumeAt - next < 0)) {
            next = acceptsResumeAt;
        }
        if (next == 0) {
            return 0; // no limit
        }
        long nanos = next - System.nanoTime();
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos) + 1);
    }

    private void resumeAccepts() {
        if (acceptsResumeAt == 0 || acceptsResumeAt - System.nanoTime() > 0) {
            return;
        }
        acceptsResumeAt = 0;
        for (ServerSocketChannel listener : listeners.values()) {
            SelectionKey key = listener.keyFor(selector);
            if (key != null && key.isValid()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
    }

    private void onReady(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        if (key.attachment() instanceof WatchedFile file) {
            accept(file, (ServerSocketChannel) key.channel());
            return;
        }
        TailSession session = (TailSession) key.attachment();
        try {
            if (key.isReadable()) {
                onReadable(session);
            }
            if (key.isValid() && key.isWritable() && session.state() == TailSession.State.STREAMING) {
                send(session);
            }
        } catch (RuntimeException e) {
            // A fault with one client must not stop the others being served.
            LOG.log(System.Logger.Level.WARNING, "client " + session.id + " failed: " + e);
            close(session, "failed: " + e);
        }
    }

    private void accept(WatchedFile file, ServerSocketChannel listener) {
        for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
            SocketChannel socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                // Out of descriptors and the like: the client waits in the backlog while this
                // listener pauses, rather than have the loop spin on a ready listener.
                if (!acceptFailureLogged) {
                    LOG.log(System.Logger.Level.WARNING, "cannot accept clients of " + file.path()
                            + " for now: " + e.getMessage() + " (see ulimit -n)");
                    acceptFailureLogged = true;
                }
                listener.keyFor(selector).interestOps(0);
                acceptsResumeAt = System.nanoTime() + ACCEPT_PAUSE_NANOS;
                return;
            }
            if (socket == null) {
                return;
            }
            acceptFailureLogged = false;
            TailSession session = new TailSession(++nextSessionId, socket, file,
                    System.nanoTime() + headerTimeoutNanos, config.headerLimit());
            try {
                socket.configureBlocking(false);
                socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                session.key = socket.register(selector, SelectionKey.OP_READ, session);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot set up client " + session.id + ": " + e.getMessage());
                closeQuietly(socket);
                continue;
            }
            file.sessions.add(session);
            file.meter.accepted();
            awaitingHeader.addLast(session);
            if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
                LOG.log(System.Logger.Level.DEBUG, "client " + session.id + " connected from "
                        + remote(session) + " to " + file.path());
            }
        }
    }

    private void onReadable(TailSession session) {
        try {
            if (session.state() != TailSession.State.HEADER) {
                if (!session.discardInput(scratch)) {
                    session.ignoreInput();
                }
                return;
            }
            switch (session.readHeader()) {
                case INCOMPLETE -> { }
                case COMPLETE -> onHeader(session);
                case NOT_AN_OFFSET -> refuse(session, HeaderRefusal.NOT_AN_INTEGER, "header is not an integer");
                case TOO_LONG -> refuse(session, HeaderRefusal.TOO_LONG,
                        "no newline within " + config.headerLimit() + " header bytes");
                case HUNG_UP -> refuse(session, HeaderRefusal.HUNG_UP, "hung up before its header");
            }
        } catch (IOException e) {
            close(session, "vanished: " + e.getMessage());
        }
    }

    private void refuse(TailSession session, HeaderRefusal why, String reason) {
        session.file.meter.refused(why);
        close(session, reason);
    }

    private void onHeader(TailSession session) {
        WatchedFile file = session.file;
        if (file.isOpen()) {
            session.startAt(file.size());
            send(session);
        }
    }

    private void send(TailSession session) {
        WatchedFile file = session.file;
        if (!session.socket.isOpen()) {
            return; // closed earlier in this turn (a truncation seen while feeding others)
        }
        try {
            long sent = session.transfer(file.channel(), file.size(), TURN_BUDGET);
            file.meter.sent(sent);
            if (session.state() == TailSession.State.CAUGHT_UP) {
                file.waiting.add(session);
            } else {
                file.waiting.remove(session);
                if (sent == 0 && file.channel().size() < file.size()) {
                    // Shrunk under us before its event arrived: handle it now rather than spin.
                    onSizeChange(file);
                }
            }
        } catch (IOException e) {
            close(session, "vanished: " + e.getMessage());
        }
    }

    private void onFileEvents(List<Inotify.Event> events) throws IOException {
        if (events.isEmpty()) {
            return;
        }
        Set<WatchedFile> appeared = new LinkedHashSet<>();
        Set<WatchedFile> changed = new LinkedHashSet<>();
        Set<WatchedFile> suspect = new LinkedHashSet<>();
        for (Inotify.Event event : events) {
            for (WatchedFile file : listeners.keySet()) {
                if (event.is(Inotify.Q_OVERFLOW)) {
                    appeared.add(file);
                    changed.add(file);
                    suspect.add(file);
                } else if (event.watch() == file.fileWatch) {
                    if (event.is(Inotify.MODIFY)) {
                        changed.add(file);
                    }
                    if (event.is(Inotify.ATTRIB | Inotify.MOVE_SELF | Inotify.DELETE_SELF | Inotify.IGNORED)) {
                        suspect.add(file);
                    }
                } else if (event.watch() == file.folderWatch && file.isNamed(event.name())) {
                    if (event.is(Inotify.CREATE | Inotify.MOVED_TO)) {
                        appeared.add(file);
                    }
                    if (event.is(Inotify.DELETE | Inotify.MOVED_FROM)) {
                        suspect.add(file);
                    }
                }
            }
        }
        for (WatchedFile file : appeared) {
            openIfThere(file);
        }
        for (WatchedFile file : changed) {
            if (file.isOpen()) {
                onSizeChange(file);
            }
        }
        for (WatchedFile file : suspect) {
            if (listeners.containsKey(file) && !file.isGone() && file.checkGone()) {
                onGone(file);
            }
        }
    }

    private void openIfThere(WatchedFile file) throws IOException {
        if (file.isOpen()) {
            return;
        }
        try {
            if (!file.open()) {
                return;
            }
            file.fileWatch = watcher.watchFile(file.path());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot serve " + file.path() + ": " + e.getMessage());
            file.close();
            return;
        }
        LOG.log(System.Logger.Level.DEBUG, file.path() + " is there: " + file.size() + " bytes");
        for (TailSession session : List.copyOf(file.sessions)) {
            if (session.state() == TailSession.State.NO_FILE) {
                session.startAt(file.size());
                send(session);
            }
        }
        // Bytes written between opening and watching were not announced: look once more.
        onSizeChange(file);
    }

    private void onSizeChange(WatchedFile file) throws IOException {
        long before = file.refresh();
        long now = file.size();
        if (now < before) {
            LOG.log(System.Logger.Level.INFO, file.path() + " was truncated from " + before + " to " + now + " bytes");
            for (TailSession session : List.copyOf(file.sessions)) {
                boolean sending = session.state() == TailSession.State.STREAMING
                        || session.state() == TailSession.State.CAUGHT_UP;
                // A client waiting beyond the old end chose that offset; one that had read bytes
                // which are gone now must reconnect and choose again.
                if (sending && session.position() > now && session.position() <= before) {
                    close(session, "file truncated below its position " + session.position());
                }
            }
            return;
        }
        if (now == before) {
            return;
        }
        for (TailSession session : List.copyOf(file.waiting)) {
            if (session.position() < now) {
                send(session);
            }
        }
    }

    private void onGone(WatchedFile file) throws IOException {
        if (config.linger()) {
            LOG.log(System.Logger.Level.INFO, file.path() + " was moved or deleted; lingering: still serving what was opened");
            return;
        }
        LOG.log(System.Logger.Level.INFO, file.path() + " was moved or deleted; no longer serving it");
        ServerSocketChannel listener = listeners.remove(file);
        closeQuietly(listener);
        for (TailSession session : List.copyOf(file.sessions)) {
            close(session, "file is gone");
        }
        boolean watchShared = listeners.keySet().stream().anyMatch(other -> other.fileWatch == file.fileWatch);
        if (file.fileWatch >= 0 && !watchShared) {
            watcher.unwatch(file.fileWatch);
        }
        file.close();
    }

    private void expireHeaders() {
        long now = System.nanoTime();
        for (TailSession first; (first = awaitingHeader.peekFirst()) != null; ) {
            if (first.state() != TailSession.State.HEADER || !first.socket.isOpen()) {
                awaitingHeader.pollFirst();
            } else if (first.headerDeadlineNanos - now <= 0) {
                awaitingHeader.pollFirst();
                refuse(first, HeaderRefusal.TIMEOUT, "no header within " + config.headerTimeout().toMillis() + " ms");
            } else {
                return;
            }
        }
    }

    private void close(TailSession session, String reason) {
        if (!session.socket.isOpen()) {
            return;
        }
        if (session.key != null) {
            session.key.cancel();
        }
        closeQuietly(session.socket);
        session.file.sessions.remove(session);
        session.file.waiting.remove(session);
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
            String asked = session.state() == TailSession.State.HEADER ? "" : "asked for " + session.requested() + ", ";
            LOG.log(System.Logger.Level.DEBUG, "client " + session.id + " disconnected: " + reason
                    + " (" + asked + "sent " + session.sent() + " bytes)");
        }
    }

    private void closeAll() {
        for (Map.Entry<WatchedFile, ServerSocketChannel> entry : listeners.entrySet()) {
            closeQuietly(entry.getValue());
        }
        List<WatchedFile> files = new ArrayList<>(listeners.keySet());
        listeners.clear();
        for (WatchedFile file : files) {
            for (TailSession session : List.copyOf(file.sessions)) {
                close(session, "server stopping");
            }
            try {
                file.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot close " + file.path() + ": " + e.getMessage());
            }
        }
    }

    private static String remote(TailSession session) {
        try {
            return String.valueOf(session.socket.getRemoteAddress());
        } catch (IOException e) {
            return "?";
        }
    }

    private static void closeQuietly(java.io.Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "close failed: " + e.getMessage());
        }
    }
}
