package dev.tailbus.core.fs;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Waits for the far end of a descriptor to go away: the reader of a pipe closing, a terminal
 * hanging up. A pipe tool that writes only now and then learns that its output is gone while it
 * has nothing to write, and can end at once, as a shell pipeline expects.
 *
 * <p>Design note: poll(2) with no requested events still reports POLLERR and POLLHUP, so the wait
 * costs nothing until then. On a regular file neither ever comes, and the wait never ends by
 * itself: {@link #close} ends it through an eventfd in the same poll. That matters twice at the
 * end of a process. A thread asleep in poll holds a reference to the pipe, so the reader would
 * not see end of file when the process closes its output, only when it exits; and the JVM, as it
 * exits, waits about 300 ms for threads still in a native call.
 *
 * <p>Threading: {@link #await} is called by one thread; {@link #close} by any thread, once.
 */
public final class Hangup implements Closeable {
    private static final short POLLERR = 0x8;
    private static final short POLLHUP = 0x10;
    private static final int EFD_CLOEXEC = 02000000;

    private final int fd;
    private final int wakeFd;
    private boolean waiting;
    private boolean closed;

    private Hangup(int fd, int wakeFd) {
        this.fd = fd;
        this.wakeFd = wakeFd;
    }

    /** Prepares to wait for {@code fd} to report an error or hang-up. */
    public static Hangup of(int fd) throws IOException {
        Libc.Result wake = Libc.eventfd(0, EFD_CLOEXEC);
        if (wake.failed()) {
            throw wake.exception("cannot create eventfd");
        }
        return new Hangup(fd, (int) wake.value());
    }

    /**
     * Blocks until the descriptor reports an error or hang-up (true), or until {@link #close}
     * (false; also false if poll itself failed).
     */
    public boolean await() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            waiting = true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollFds = arena.allocate(16, 4);
            while (true) {
                pollFds.set(ValueLayout.JAVA_INT, 0, fd);
                pollFds.set(ValueLayout.JAVA_SHORT, 4, (short) 0);
                pollFds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                pollFds.set(ValueLayout.JAVA_INT, 8, wakeFd);
                pollFds.set(ValueLayout.JAVA_SHORT, 12, Libc.POLLIN);
                pollFds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
                Libc.Result r = Libc.poll(pollFds, 2, -1);
                if (r.failed()) {
                    if (r.errno() == Libc.EINTR) {
                        continue;
                    }
                    return false;
                }
                if (pollFds.get(ValueLayout.JAVA_SHORT, 14) != 0) {
                    return false;
                }
                if ((pollFds.get(ValueLayout.JAVA_SHORT, 6) & (POLLERR | POLLHUP)) != 0) {
                    return true;
                }
            }
        } finally {
            synchronized (this) {
                waiting = false;
                if (closed) {
                    Libc.close(wakeFd);
                }
            }
        }
    }

    /** Whether a thread is in {@link #await} (for tests). */
    synchronized boolean waiting() {
        return waiting;
    }

    /** Ends a waiting {@link #await} (which then returns false) and frees the eventfd. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (waiting) {
            // The waiting thread closes the eventfd when it has left poll.
            try (Arena call = Arena.ofConfined()) {
                MemorySegment one = call.allocate(8, 8);
                one.set(ValueLayout.JAVA_LONG, 0, 1L);
                Libc.write(wakeFd, one);
            }
        } else {
            Libc.close(wakeFd);
        }
    }
}
