package dev.tailbus.core.fs;

/**
 * The kernel buffer of a pipe. A pipe holds 64 KiB by default, one 64 KiB chunk of a pipe tool:
 * the writer then waits for the reader after every chunk, and each side runs only when the
 * other has been scheduled. A larger buffer lets them run apart.
 *
 * <p>Stateless and thread-safe.
 */
public final class Pipes {
    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;

    private Pipes() {
    }

    /**
     * Asks for a buffer of at least {@code bytes} on {@code fd} if it is a pipe (a user's limit is
     * /proc/sys/fs/pipe-max-size, 1 MiB by default); returns the buffer's size then, or -1 if
     * {@code fd} is not a pipe or the size was refused. Never shrinks a buffer.
     */
    public static int grow(int fd, int bytes) {
        try {
            Libc.Result now = Libc.fcntl(fd, F_GETPIPE_SZ, 0);
            if (now.failed()) {
                return -1;
            }
            if (now.value() >= bytes) {
                return (int) now.value();
            }
            Libc.Result set = Libc.fcntl(fd, F_SETPIPE_SZ, bytes);
            return set.failed() ? -1 : (int) set.value();
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
