package dev.tailbus.core.log;

import dev.tailbus.core.fs.Descriptors;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The log's bounded set of open segment files: at most {@code max} channels are open at once
 * (for writers and readers alike), the least recently used one is closed when another must
 * open, and a closed file is opened again on its next use. So a store of 100,000 prefixes holds
 * a fixed number of descriptors, whatever its shape.
 *
 * <p>Each file a segment may open is a {@link Handle}: its data and its index, once for the
 * writer (read-write) and once for readers (read-only). A channel is used only while its handle
 * is pinned ({@link #acquire} ... {@link #release}); a pinned channel is never closed by the
 * cache, so the cache may hold more than {@code max} for as long as more are in use at once.
 *
 * <p>Design note: readers have channels of their own because the JDK closes a channel when a
 * thread reading through it is interrupted; a reader's interrupt must never fail the writer. A
 * reader's channel found closed that way is simply opened again; a writer's is a failed write
 * (the writer's channel is closed only by the cache, by an interrupt or by a failure: the last
 * two must be seen).
 *
 * <p>A process short of descriptors before the bound (EMFILE, ENFILE) closes the older half of
 * the unpinned files and tries the open once more.
 *
 * <p>Threading: thread-safe; the bookkeeping is under this object's monitor, files are opened and
 * closed outside it.
 */
final class OpenFiles {
    /** The default bound on open segment files. */
    static final int DEFAULT_MAX = LogConfig.DEFAULT_MAX_OPEN_FILES;

    private static final System.Logger LOG = System.getLogger(OpenFiles.class.getName());

    private final int max;
    /** The shortage of descriptors was logged (once per cache). */
    private volatile boolean warnedShort;
    private final FileLayer layer;
    private final Handle lru = new Handle(null, false);
    private int open;

    OpenFiles(int max) {
        this(max, FileLayer.FILES);
    }

    /** A cache of at most {@code max} open files, each opened by {@code layer}. */
    OpenFiles(int max, FileLayer layer) {
        if (max < 4) {
            throw new IllegalArgumentException("at least 4 open files, got " + max);
        }
        this.max = max;
        this.layer = layer;
        lru.next = lru;
        lru.previous = lru;
    }

    /** One file a segment may open: its path, whether for writing, and its channel while open. */
    static final class Handle {
        private final Supplier<Path> path;
        private final boolean writable;
        private FileChannel channel;
        private int pins;
        private boolean closed;
        private Handle previous;
        private Handle next;

        Handle(Supplier<Path> path, boolean writable) {
            this.path = path;
            this.writable = writable;
        }
    }

    /** The file layer files are opened, renamed and forced through. */
    FileLayer layer() {
        return layer;
    }

    /** Files open now, for tests and statistics. */
    synchronized int openCount() {
        return open;
    }

    /**
     * The handle's channel, opened if needed (closing the least recently used unpinned files
     * beyond the bound), pinned until {@link #release}.
     *
     * @throws ClosedChannelException when the handle was closed for good, or a writer's channel
     *                                was closed under it
     */
    FileChannel acquire(Handle h) throws IOException {
        synchronized (this) {
            if (h.closed) {
                throw new ClosedChannelException();
            }
            FileChannel c = h.channel;
            if (c != null && c.isOpen()) {
                h.pins++;
                unlink(h);
                linkFirst(h);
                return c;
            }
            if (c != null) {
                if (h.writable) {
                    throw new ClosedChannelException();
                }
                unlink(h);
                open--;
                h.channel = null;
            }
            h.pins++;
        }
        FileChannel opened;
        try {
            opened = openFile(h);
        } catch (IOException e) {
            if (!Descriptors.isShort(e) || !makeRoom()) {
                synchronized (this) {
                    h.pins--;
                }
                throw e;
            }
            try {
                opened = openFile(h); // once more, with half of ours closed
            } catch (IOException | RuntimeException again) {
                synchronized (this) {
                    h.pins--;
                }
                throw again;
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                h.pins--;
            }
            throw e;
        }
        List<FileChannel> evicted = new ArrayList<>();
        FileChannel result;
        synchronized (this) {
            if (h.closed) {
                h.pins--;
                evicted.add(opened);
                result = null;
            } else if (h.channel != null) {
                evicted.add(opened); // another thread opened it meanwhile
                result = h.channel;
            } else {
                h.channel = opened;
                linkFirst(h);
                open++;
                result = opened;
            }
            for (Handle victim = lru.previous; open > max && victim != lru; ) {
                Handle before = victim.previous;
                if (victim.pins == 0) {
                    unlink(victim);
                    open--;
                    evicted.add(victim.channel);
                    victim.channel = null;
                }
                victim = before;
            }
        }
        closeQuietly(evicted);
        if (result == null) {
            throw new ClosedChannelException();
        }
        return result;
    }

    /**
     * The process ran out of descriptors before this cache reached its bound (a {@code ulimit -n}
     * below it, or descriptors held elsewhere in the process): closes the older half of the
     * unpinned files, so that the open that failed can be tried again. Logged once. Returns
     * whether any file was closed.
     */
    private boolean makeRoom() {
        List<FileChannel> evicted = new ArrayList<>();
        int before;
        synchronized (this) {
            before = open;
            for (Handle victim = lru.previous; open > before / 2 && victim != lru; ) {
                Handle newer = victim.previous;
                if (victim.pins == 0) {
                    unlink(victim);
                    open--;
                    evicted.add(victim.channel);
                    victim.channel = null;
                }
                victim = newer;
            }
        }
        closeQuietly(evicted);
        if (!warnedShort && !evicted.isEmpty()) {
            warnedShort = true;
            LOG.log(System.Logger.Level.WARNING, "the process ran out of file descriptors with " + before
                    + " store files open (fewer than the bound of " + max + "): closing the " + evicted.size()
                    + " least recently used; raise ulimit -n or lower the open-file bound");
        }
        return !evicted.isEmpty();
    }

    /** Unpins a handle acquired before. */
    synchronized void release(Handle h) {
        h.pins--;
    }

    /**
     * Closes the handle's channel: for now (the next acquire opens it again) or for good (every
     * later acquire fails as closed). A reader using it at that moment fails as closed and retries.
     */
    void close(Handle h, boolean forGood) throws IOException {
        FileChannel c;
        synchronized (this) {
            if (forGood) {
                h.closed = true;
            }
            c = h.channel;
            if (c != null) {
                unlink(h);
                open--;
                h.channel = null;
            }
        }
        if (c != null) {
            c.close();
        }
    }

    private FileChannel openFile(Handle h) throws IOException {
        Path at = h.path.get();
        try {
            return layer.open(at, h.writable);
        } catch (NoSuchFileException e) {
            // renamed meanwhile (rotation): its new name
            Path now = h.path.get();
            if (now.equals(at)) {
                throw e;
            }
            return layer.open(now, h.writable);
        }
    }

    private void linkFirst(Handle h) {
        h.previous = lru;
        h.next = lru.next;
        lru.next.previous = h;
        lru.next = h;
    }

    private static void unlink(Handle h) {
        if (h.previous != null) {
            h.previous.next = h.next;
            h.next.previous = h.previous;
            h.previous = null;
            h.next = null;
        }
    }

    private static void closeQuietly(List<FileChannel> channels) {
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                // a read-only or idle channel: nothing was lost by closing it
            }
        }
    }
}
