package dev.tailbus.core.fs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the JDK does not offer (flock, inotify, eventfd, poll), and the plain file
 * calls that a per-chunk path makes (open, read, write, rename, unlink, access), bound through the
 * FFM API. Every call captures {@code errno} so that failures carry the system's own reason.
 *
 * <p>Design note: this class only binds and invokes; it owns no descriptor. {@link LockFile} and
 * {@link Inotify} own theirs and close them.
 */
final class Libc {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 01;
    static final int O_RDWR = 02;
    static final int O_TRUNC = 01000;
    static final int O_CREAT = 0100;
    static final int O_CLOEXEC = 02000000;
    static final int O_NONBLOCK = 04000;

    static final int LOCK_EX = 2;
    static final int LOCK_NB = 4;
    static final int LOCK_UN = 8;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EWOULDBLOCK = EAGAIN;

    static final short POLLIN = 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    // Each call is bound in a holder class of its own, when first made: binding costs the JVM a
    // generated stub per call shape, at each start of a pipe tool (the ahead-of-time cache does
    // not hold them), so a call that a run never makes, or makes only after its first output,
    // costs nothing before it.
    private static final class Open {
        static final MethodHandle HANDLE = bind("open",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                Linker.Option.firstVariadicArg(2));
    }

    private static final class Close {
        static final MethodHandle HANDLE = bind("close",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class Flock {
        static final MethodHandle HANDLE = bind("flock",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class Read {
        static final MethodHandle HANDLE = bind("read",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Write {
        static final MethodHandle HANDLE = bind("write",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Poll {
        static final MethodHandle HANDLE = bind("poll",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }

    private static final class InotifyInit1 {
        static final MethodHandle HANDLE = bind("inotify_init1",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class InotifyAddWatch {
        static final MethodHandle HANDLE = bind("inotify_add_watch",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private static final class InotifyRmWatch {
        static final MethodHandle HANDLE = bind("inotify_rm_watch",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class Eventfd {
        static final MethodHandle HANDLE = bind("eventfd",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private static final class Rename {
        static final MethodHandle HANDLE = bind("rename",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    private static final class Unlink {
        static final MethodHandle HANDLE = bind("unlink",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    private static final class Truncate {
        static final MethodHandle HANDLE = bind("truncate",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    private static final class Access {
        static final MethodHandle HANDLE = bind("access",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private static final class FcntlInt {
        static final MethodHandle HANDLE = bind("fcntl",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                Linker.Option.firstVariadicArg(2));
    }

    /** strerror: only failures need it. */
    private static final class Strerror {
        static final MethodHandle HANDLE = LINKER.downcallHandle(
                LINKER.defaultLookup().find("strerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    }

    private Libc() {
    }

    private static MethodHandle bind(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(
                LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name)),
                descriptor, all);
    }

    /** The outcome of one call: its return value and, when that is negative, errno. */
    record Result(long value, int errno) {
        boolean failed() {
            return value < 0;
        }

        IOException exception(String what) {
            return new IOException(what + ": " + strerror(errno));
        }
    }

    /** Memory for one call's captured errno; a holder reuses it for every call it makes. */
    static MemorySegment allocateCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno that the last failed call made with {@code capture} left there. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    private static Result result(long value, MemorySegment capture) {
        int errno = value < 0 ? (int) ERRNO.get(capture, 0L) : 0;
        return new Result(value, errno);
    }

    static Result open(String path, int flags, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int fd = (int) Open.HANDLE.invokeExact(capture, arena.allocateFrom(path), flags, mode);
            return result(fd, capture);
        } catch (Throwable t) {
            throw linkageFailure("open", t);
        }
    }

    // The calls below take the caller's capture segment and a path already encoded as a C string,
    // and return the raw value (negative on failure, errno then in the capture): they allocate
    // nothing, for the per-chunk paths that run thousands of times a second.

    static int open(MemorySegment capture, MemorySegment path, int flags, int mode) {
        try {
            return (int) Open.HANDLE.invokeExact(capture, path, flags, mode);
        } catch (Throwable t) {
            throw linkageFailure("open", t);
        }
    }

    static int close(MemorySegment capture, int fd) {
        try {
            return (int) Close.HANDLE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw linkageFailure("close", t);
        }
    }

    static long read(MemorySegment capture, int fd, MemorySegment buffer, long length) {
        try {
            return (long) Read.HANDLE.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw linkageFailure("read", t);
        }
    }

    static long write(MemorySegment capture, int fd, MemorySegment buffer, long length) {
        try {
            return (long) Write.HANDLE.invokeExact(capture, fd, buffer, length);
        } catch (Throwable t) {
            throw linkageFailure("write", t);
        }
    }

    static int flock(MemorySegment capture, int fd, int operation) {
        try {
            return (int) Flock.HANDLE.invokeExact(capture, fd, operation);
        } catch (Throwable t) {
            throw linkageFailure("flock", t);
        }
    }

    static int poll(MemorySegment capture, MemorySegment pollfds, int count, int timeoutMillis) {
        try {
            return (int) Poll.HANDLE.invokeExact(capture, pollfds, (long) count, timeoutMillis);
        } catch (Throwable t) {
            throw linkageFailure("poll", t);
        }
    }

    static int rename(MemorySegment capture, MemorySegment from, MemorySegment to) {
        try {
            return (int) Rename.HANDLE.invokeExact(capture, from, to);
        } catch (Throwable t) {
            throw linkageFailure("rename", t);
        }
    }

    static int unlink(MemorySegment capture, MemorySegment path) {
        try {
            return (int) Unlink.HANDLE.invokeExact(capture, path);
        } catch (Throwable t) {
            throw linkageFailure("unlink", t);
        }
    }

    /** truncate(2): cuts a file by its name, with no descriptor. */
    static int truncate(MemorySegment capture, MemorySegment path, long length) {
        try {
            return (int) Truncate.HANDLE.invokeExact(capture, path, length);
        } catch (Throwable t) {
            throw linkageFailure("truncate", t);
        }
    }

    /** access(2) with F_OK: whether the path names something. */
    static int exists(MemorySegment capture, MemorySegment path) {
        try {
            return (int) Access.HANDLE.invokeExact(capture, path, 0);
        } catch (Throwable t) {
            throw linkageFailure("access", t);
        }
    }

    /** fcntl(2) with one int argument. */
    static Result fcntl(int fd, int command, int argument) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) FcntlInt.HANDLE.invokeExact(capture, fd, command, argument);
            return result(rc, capture);
        } catch (Throwable t) {
            throw linkageFailure("fcntl", t);
        }
    }

    static Result close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) Close.HANDLE.invokeExact(capture, fd);
            return result(rc, capture);
        } catch (Throwable t) {
            throw linkageFailure("close", t);
        }
    }

    static Result flock(int fd, int operation) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) Flock.HANDLE.invokeExact(capture, fd, operation);
            return result(rc, capture);
        } catch (Throwable t) {
            throw linkageFailure("flock", t);
        }
    }

    static Result read(int fd, MemorySegment buffer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            long n = (long) Read.HANDLE.invokeExact(capture, fd, buffer, buffer.byteSize());
            return result(n, capture);
        } catch (Throwable t) {
            throw linkageFailure("read", t);
        }
    }

    static Result write(int fd, MemorySegment buffer) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            long n = (long) Write.HANDLE.invokeExact(capture, fd, buffer, buffer.byteSize());
            return result(n, capture);
        } catch (Throwable t) {
            throw linkageFailure("write", t);
        }
    }

    /** poll(2) over {@code pollfds}, an array of {@code struct pollfd} (8 bytes each). */
    static Result poll(MemorySegment pollfds, int count, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int n = (int) Poll.HANDLE.invokeExact(capture, pollfds, (long) count, timeoutMillis);
            return result(n, capture);
        } catch (Throwable t) {
            throw linkageFailure("poll", t);
        }
    }

    static Result inotifyInit1(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int fd = (int) InotifyInit1.HANDLE.invokeExact(capture, flags);
            return result(fd, capture);
        } catch (Throwable t) {
            throw linkageFailure("inotify_init1", t);
        }
    }

    static Result inotifyAddWatch(int fd, String path, int mask) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int wd = (int) InotifyAddWatch.HANDLE.invokeExact(capture, fd, arena.allocateFrom(path), mask);
            return result(wd, capture);
        } catch (Throwable t) {
            throw linkageFailure("inotify_add_watch", t);
        }
    }

    static Result inotifyRmWatch(int fd, int wd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int rc = (int) InotifyRmWatch.HANDLE.invokeExact(capture, fd, wd);
            return result(rc, capture);
        } catch (Throwable t) {
            throw linkageFailure("inotify_rm_watch", t);
        }
    }

    static Result eventfd(int initial, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE_LAYOUT);
            int fd = (int) Eventfd.HANDLE.invokeExact(capture, initial, flags);
            return result(fd, capture);
        } catch (Throwable t) {
            throw linkageFailure("eventfd", t);
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment message = (MemorySegment) Strerror.HANDLE.invokeExact(errno);
            return message.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static IllegalStateException linkageFailure(String call, Throwable cause) {
        return new IllegalStateException("native call " + call + " failed to run", cause);
    }
}
