package dev.tailbus.core.fs;

import java.io.Closeable;
import java.io.IOException;
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
                Libc.Result r = Libc.flock(fd, Libc.LOCK_EX);
                if (!r.failed()) {
                    held = true;
                    return;
                }
                if (r.errno() != Libc.EINTR) {
                    throw r.exception("cannot lock " + path);
                }
            }
        } finally {
            if (!held) {
                inProcess.unlock();
            }
        }
    }

    /** Takes the lock if no one holds it; returns whether it was taken. */
    public boolean tryLock() throws IOException {
        if (!inProcess.tryLock()) {
            return false;
        }
        Libc.Result r = Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB);
        if (!r.failed()) {
            return true;
        }
        inProcess.unlock();
        if (r.errno() == Libc.EWOULDBLOCK || r.errno() == Libc.EINTR) {
            return false;
        }
        throw r.exception("cannot lock " + path);
    }

    /** Releases the lock taken by this thread. */
    public void unlock() throws IOException {
        try {
            Libc.Result r = Libc.flock(fd, Libc.LOCK_UN);
            if (r.failed()) {
                throw r.exception("cannot unlock " + path);
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
