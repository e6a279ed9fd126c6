package dev.tailbus.cli;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * Tells systemd how a server is doing (a unit of {@code Type=notify}): {@code READY=1} once it
 * listens, {@code STOPPING=1} when its shutdown begins. The protocol is sd_notify(3)'s: one
 * datagram to the Unix socket named by {@code NOTIFY_SOCKET}, a path or, with a leading
 * {@code @}, a name in the abstract namespace. Without the variable nothing is sent.
 *
 * <p>Design note: the JDK has Unix-domain stream sockets but no datagram ones, so the datagram
 * goes through {@code socket}/{@code sendto} of libc via the FFM API. A failure is one warning on
 * stderr; the server goes on (systemd then times the start out, which says more than we could).
 *
 * <p>Thread-safe; each message opens and closes its own socket.
 */
final class SystemdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** sockaddr_un: a 2-byte family, then 108 bytes of path. */
    private static final int PATH_OFFSET = 2;
    private static final int PATH_BYTES = 108;

    private static final System.Logger LOG = System.getLogger(SystemdNotify.class.getName());

    private SystemdNotify() {
    }

    /** {@code READY=1}: the server listens. */
    static void ready() {
        send("READY=1");
    }

    /** {@code STOPPING=1}: the server's shutdown begins. */
    static void stopping() {
        send("STOPPING=1");
    }

    private static void send(String state) {
        String socket = System.getenv("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            return;
        }
        String failure;
        try {
            failure = Native.send(socket, state);
        } catch (LinkageError | RuntimeException e) {
            // no native access (for example --illegal-native-access=deny): the server goes on
            failure = "no native access (" + e + ")";
        }
        if (failure != null) {
            LOG.log(System.Logger.Level.WARNING, "cannot tell systemd " + state + " through NOTIFY_SOCKET="
                    + socket + ": " + failure);
        }
    }

    /** The libc binding, loaded on first use only (most runs have no NOTIFY_SOCKET). */
    private static final class Native {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
        private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        private static final MethodHandle SOCKET = bind("socket",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        private static final MethodHandle SENDTO = bind("sendto",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        private static final MethodHandle CLOSE = bind("close",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        private static final MethodHandle STRERROR = LINKER.downcallHandle(
                LINKER.defaultLookup().find("strerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

        private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
                    Linker.Option.captureCallState("errno"));
        }

        /** Sends {@code state} to the socket {@code name}; returns why it failed, or null. */
        static String send(String name, String state) {
            byte[] path = name.getBytes(StandardCharsets.UTF_8);
            boolean abstractName = path[0] == '@';
            if (!abstractName && path[0] != '/') {
                return "not a socket path nor an abstract name (@NAME)";
            }
            // A path ends with a NUL inside sun_path; an abstract name starts with one and has none.
            int used = abstractName ? path.length : path.length + 1;
            if (used > PATH_BYTES) {
                return "the name is longer than " + (PATH_BYTES - 1) + " bytes";
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment address = arena.allocate(PATH_OFFSET + PATH_BYTES);
                address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
                MemorySegment.copy(path, 0, address, ValueLayout.JAVA_BYTE, PATH_OFFSET, path.length);
                if (abstractName) {
                    address.set(ValueLayout.JAVA_BYTE, PATH_OFFSET, (byte) 0);
                }
                byte[] text = state.getBytes(StandardCharsets.UTF_8);
                MemorySegment message = arena.allocate(text.length);
                MemorySegment.copy(text, 0, message, ValueLayout.JAVA_BYTE, 0, text.length);
                MemorySegment errno = arena.allocate(CAPTURE);
                int fd = (int) SOCKET.invokeExact(errno, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                    return "socket: " + reason(errno);
                }
                try {
                    long sent = (long) SENDTO.invokeExact(errno, fd, message, (long) text.length, MSG_NOSIGNAL,
                            address, PATH_OFFSET + used);
                    return sent < 0 ? "sendto: " + reason(errno) : null;
                } finally {
                    int ignored = (int) CLOSE.invokeExact(errno, fd);
                }
            } catch (Throwable t) {
                return String.valueOf(t);
            }
        }

        private static String reason(MemorySegment errno) throws Throwable {
            int code = (int) ERRNO.get(errno, 0L);
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(code);
            return text.reinterpret(256).getString(0) + " (errno " + code + ")";
        }
    }
}
