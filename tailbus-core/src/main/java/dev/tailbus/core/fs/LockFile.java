package dev.tailbus.core.fs;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive {@code flock(2)} lock on a lock file, shared with other processes.
 *
 * <p>Design note: Java's {@code FileChannel.lock()} takes POSIX record locks, which on Linux do
 * not exclude {@code flock(2)} locks. Processes of other implementations (Python's
 * {@code fcntl.flock}, the {@code flock} command) take the latter, so this class calls
 * {@code flock(2)} itself. The lock belongs to this object's open file description; threads of
 * one process share it through an in-process lock, so a thread blocks on whichever is held.
 *
 * <p>Thread-safe.
 */
public final class LockFile implements Closeable {
    private final Path path;
    private final int fd;
    private final ReentrantLock inProcess = new ReentrantLock();
    /** errno of the flock calls, made only while {@link #inProcess} is held: no allocation per call. */
    private final MemorySegment capture = Libc.allocateCapture(Arena.ofAuto());
    private boolean closed;

    private LockFile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens (creating if needed, never truncating) the lock file at {@code path}. */
    public static LockFile open(Path path) throws IOException {
        Libc.Result opened = Libc.open(path.toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0666);
        if (opened.failed()) {
            throw opened.exception("cannot open lock file " + path);
        }
        return new LockFile(path, (int) opened.value());
    }

    public Path path() {
        return path;
    }

    /** Blocks until this process holds the exclusive lock. */
    public void lock() throws IOException {
        inProcess.lock();
        boolean held = false;
        try {
            while (true) {
                if (Libc.flock(capture, fd, Libc.LOCK_EX) == 0) {
                    held = true;
                    return;
                }
                int errno = Libc.errno(capture);
                if (errno != Libc.EINTR) {
                    throw new IOException("cannot lock " + path + ": " + Libc.strerror(errno));
                }
            }
        } finally {
            if (!held) {
                inProcess.unlock();
            }
        }
    }

    /**
     * As {@link #lock()}, but first tries without blocking, again and again, for up to
     * {@code spinNanos}, yielding the processor between tries: a holder that is about to release
     * (a peer between its rename and its unlock) then hands over the lock without this thread
     * being put to sleep and woken, which costs more than the wait.
     */
    public void lock(long spinNanos) throws IOException {
        if (spinNanos > 0) {
            long start = System.nanoTime();
            do {
                if (tryLock()) {
                    return;
                }
                Thread.yield();
            } while (System.nanoTime() - start < spinNanos);
        }
        lock();
    }

    /** Takes the lock if no one holds it; returns whether it was taken. */
    public boolean tryLock() throws IOException {
        if (!inProcess.tryLock()) {
            return false;
        }
        if (Libc.flock(capture, fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0) {
            return true;
        }
        int errno = Libc.errno(capture);
        inProcess.unlock();
        if (errno == Libc.EWOULDBLOCK || errno == Libc.EINTR) {
            return false;
        }
        throw new IOException("cannot lock " + path + ": " + Libc.strerror(errno));
    }

    /** Releases the lock taken by this thread. */
    public void unlock() throws IOException {
        try {
            if (Libc.flock(capture, fd, Libc.LOCK_UN) < 0) {
                throw new IOException("cannot unlock " + path + ": " + Libc.strerror(Libc.errno(capture)));
            }
        } finally {
            inProcess.unlock();
        }
    }

    /** Closes the descriptor, which also drops the lock if held. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        Libc.Result r = Libc.close(fd);
        if (r.failed()) {
            throw r.exception("cannot close lock file " + path);
        }
    }
}
