package dev.tailbus.core.fs;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An inotify(7) instance: watches on files or folders, and a wait for their events that any
 * thread can cut short with {@link #wakeup()}.
 *
 * <p>Design note: the wait is a {@code poll(2)} over the inotify descriptor and an eventfd, so a
 * quiet file costs nothing and no timer is needed to stop a waiting thread.
 *
 * <p>Threading: {@link #poll} is called by one thread at a time; {@link #addWatch},
 * {@link #removeWatch}, {@link #wakeup} and {@link #close} by any thread.
 */
public final class Inotify implements Closeable {
    public static final int MODIFY = 0x2;
    public static final int ATTRIB = 0x4;
    public static final int CLOSE_WRITE = 0x8;
    public static final int MOVED_FROM = 0x40;
    public static final int MOVED_TO = 0x80;
    public static final int CREATE = 0x100;
    public static final int DELETE = 0x200;
    public static final int DELETE_SELF = 0x400;
    public static final int MOVE_SELF = 0x800;
    public static final int UNMOUNT = 0x2000;
    public static final int Q_OVERFLOW = 0x4000;
    public static final int IGNORED = 0x8000;

    private static final int IN_NONBLOCK = 04000;
    private static final int IN_CLOEXEC = 02000000;
    private static final int EFD_NONBLOCK = 04000;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int EVENT_HEADER = 16;
    /** The largest event: a header and a name of NAME_MAX bytes with its terminating zero. */
    private static final int MAX_EVENT = EVENT_HEADER + 256;

    /** One event: the watch it came from, its mask bits, and the name within a watched folder. */
    public record Event(int watch, int mask, int cookie, String name) {
        public boolean is(int bits) {
            return (mask & bits) != 0;
        }
    }

    private final int inotifyFd;
    private final int wakeFd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final MemorySegment pollFds;
    private final MemorySegment wakeValue;
    private final MemorySegment capture;
    private final ReentrantLock polling = new ReentrantLock();
    private volatile boolean closed;
    private final AtomicLong wakeups = new AtomicLong();

    private Inotify(int inotifyFd, int wakeFd) {
        this.inotifyFd = inotifyFd;
        this.wakeFd = wakeFd;
        this.buffer = arena.allocate(64 * 1024, 8);
        this.pollFds = arena.allocate(16, 8);
        this.wakeValue = arena.allocate(8, 8);
        this.capture = Libc.allocateCapture(arena);
    }

    public static Inotify open() throws IOException {
        Libc.Result fd = Libc.inotifyInit1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd.failed()) {
            throw fd.exception("cannot start inotify (see /proc/sys/fs/inotify/max_user_instances)");
        }
        Libc.Result wake = Libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake.failed()) {
            Libc.close((int) fd.value());
            throw wake.exception("cannot create eventfd");
        }
        return new Inotify((int) fd.value(), (int) wake.value());
    }

    /**
     * The inotify descriptor itself, readable when events are queued: for a caller that waits on
     * it in its own poll or epoll set (then reading the events with {@code poll(0)}). It stays
     * owned by this object, which closes it.
     */
    public int descriptor() {
        return inotifyFd;
    }

    /** Watches {@code path} for the events in {@code mask}; returns the watch descriptor. */
    public int addWatch(Path path, int mask) throws IOException {
        Libc.Result wd = Libc.inotifyAddWatch(inotifyFd, path.toString(), mask);
        if (wd.failed()) {
            throw wd.exception("cannot watch " + path);
        }
        return (int) wd.value();
    }

    public void removeWatch(int watch) {
        // The kernel drops the watch itself when the file goes; EINVAL then is expected.
        Libc.inotifyRmWatch(inotifyFd, watch);
    }

    /**
     * Waits up to {@code timeoutMillis} (negative: without limit) for events, and returns those
     * that are ready. An empty list means the time ran out or {@link #wakeup()} was called.
     * {@code timeoutMillis} 0 only takes the events already queued. A wait is one {@code poll(2)},
     * which returns at once when events are queued, and one {@code read(2)} of them: two system
     * calls whether or not it sleeps.
     */
    public List<Event> poll(long timeoutMillis) throws IOException {
        return poll(0, timeoutMillis);
    }

    /**
     * As {@link #poll(long)}, but first looks for events without blocking, again and again, for up
     * to {@code spinNanos}, yielding the processor between looks: a thread that expects an event
     * within microseconds then sees it without being put to sleep and woken, which costs more
     * than the wait itself on a busy or virtual machine. The spin keeps a processor busy when
     * nothing else wants it, so callers bound it.
     */
    public List<Event> poll(long spinNanos, long timeoutMillis) throws IOException {
        polling.lock();
        try {
            if (closed) {
                return List.of();
            }
            if (timeoutMillis == 0) {
                return drain();
            }
            List<Event> ready;
            if (spinNanos > 0) {
                ready = drain();
                if (!ready.isEmpty()) {
                    return ready;
                }
                long wakeups = this.wakeups.get();
                long start = System.nanoTime();
                while (System.nanoTime() - start < spinNanos) {
                    Thread.yield();
                    ready = drain();
                    if (!ready.isEmpty()) {
                        return ready;
                    }
                    if (closed || this.wakeups.get() != wakeups) {
                        break;
                    }
                }
            }
            pollFds.set(ValueLayout.JAVA_INT, 0, inotifyFd);
            pollFds.set(ValueLayout.JAVA_SHORT, 4, Libc.POLLIN);
            pollFds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            pollFds.set(ValueLayout.JAVA_INT, 8, wakeFd);
            pollFds.set(ValueLayout.JAVA_SHORT, 12, Libc.POLLIN);
            pollFds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
            int timeout = timeoutMillis < 0 ? -1 : (int) Math.min(Integer.MAX_VALUE, timeoutMillis);
            boolean interrupted = Libc.poll(capture, pollFds, 2, timeout) < 0;
            if (interrupted && Libc.errno(capture) != Libc.EINTR) {
                throw new IOException("inotify poll failed: " + Libc.strerror(Libc.errno(capture)));
            }
            if ((pollFds.get(ValueLayout.JAVA_SHORT, 14) & Libc.POLLIN) != 0) {
                Libc.read(capture, wakeFd, wakeValue, 8);
            }
            // Read only when poll said events are queued: a wait that timed out or was woken
            // costs no read that would find nothing.
            boolean queued = interrupted || (pollFds.get(ValueLayout.JAVA_SHORT, 6) & Libc.POLLIN) != 0;
            return closed || !queued ? List.of() : drain();
        } finally {
            polling.unlock();
        }
    }

    private List<Event> drain() throws IOException {
        List<Event> events = List.of();
        while (true) {
            long length = Libc.read(capture, inotifyFd, buffer, buffer.byteSize());
            if (length < 0) {
                int errno = Libc.errno(capture);
                if (errno == Libc.EAGAIN || errno == Libc.EINTR) {
                    return events;
                }
                throw new IOException("cannot read inotify events: " + Libc.strerror(errno));
            }
            if (events.isEmpty()) {
                events = new ArrayList<>();
            }
            long offset = 0;
            while (offset + EVENT_HEADER <= length) {
                int wd = buffer.get(ValueLayout.JAVA_INT, offset);
                int mask = buffer.get(ValueLayout.JAVA_INT, offset + 4);
                int cookie = buffer.get(ValueLayout.JAVA_INT, offset + 8);
                int nameLength = buffer.get(ValueLayout.JAVA_INT, offset + 12);
                String name = "";
                if (nameLength > 0) {
                    byte[] raw = buffer.asSlice(offset + EVENT_HEADER, nameLength).toArray(ValueLayout.JAVA_BYTE);
                    int end = 0;
                    while (end < raw.length && raw[end] != 0) {
                        end++;
                    }
                    name = new String(raw, 0, end, StandardCharsets.UTF_8);
                }
                events.add(new Event(wd, mask, cookie, name));
                offset += EVENT_HEADER + nameLength;
            }
            // A read that left room for more took every queued event: no need to ask again.
            if (length < buffer.byteSize() - MAX_EVENT) {
                return events;
            }
        }
    }

    /** Makes a thread waiting in {@link #poll} return now. */
    public void wakeup() {
        wakeups.incrementAndGet();
        try (Arena call = Arena.ofConfined()) {
            MemorySegment one = call.allocate(8, 8);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Libc.write(wakeFd, one);
        }
    }

    /** Stops any waiting thread and closes both descriptors. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        wakeup();
        polling.lock();
        try {
            Libc.close(inotifyFd);
            Libc.close(wakeFd);
            arena.close();
        } finally {
            polling.unlock();
        }
    }
}
