package dev.tailbus.core.fs;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Waits for the far end of a descriptor to go away: the reader of a pipe closing, a terminal
 * hanging up. A pipe tool that writes only now and then learns that its output is gone while it
 * has nothing to write, and can end at once, as a shell pipeline expects.
 *
 * <p>Design note: poll(2) with no requested events still reports POLLERR and POLLHUP, so the wait
 * costs nothing until then. On a regular file neither ever comes, and the wait never ends.
 */
public final class Hangup {
    private static final short POLLERR = 0x8;
    private static final short POLLHUP = 0x10;

    private Hangup() {
    }

    /** Blocks until {@code fd} reports an error or hang-up; returns false if poll itself failed. */
    public static boolean await(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollFd = arena.allocate(8, 4);
            while (true) {
                pollFd.set(ValueLayout.JAVA_INT, 0, fd);
                pollFd.set(ValueLayout.JAVA_SHORT, 4, (short) 0);
                pollFd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                Libc.Result r = Libc.poll(pollFd, 1, -1);
                if (r.failed()) {
                    if (r.errno() == Libc.EINTR) {
                        continue;
                    }
                    return false;
                }
                if ((pollFd.get(ValueLayout.JAVA_SHORT, 6) & (POLLERR | POLLHUP)) != 0) {
                    return true;
                }
            }
        }
    }
}
