package dev.tailbus.core.fs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Tells a file that could not be opened for want of descriptors (EMFILE: this process is at its
 * {@code ulimit -n}; ENFILE: the system is at its limit) from other failures to open, the same
 * way {@link DiskSpace} tells a full disk: by the C library's text for the error number, which is
 * all the JDK reports.
 *
 * <p>Stateless and thread-safe.
 */
public final class Descriptors {
    private static final int ENFILE = 23;
    private static final int EMFILE = 24;
    private static final ErrorTexts SHORT = new ErrorTexts(new int[] {EMFILE, ENFILE},
            new String[] {"Too many open files", "Too many open files in system"});
    private static final Charset FILE_NAMES = fileNameCharset();

    private Descriptors() {
    }

    /** Whether {@code e} (or a cause of it) says there was no descriptor to open a file with. */
    public static boolean isShort(Throwable e) {
        return SHORT.tell(e);
    }

    /**
     * Cuts {@code file} to {@code length} bytes by its name ({@code truncate(2)}), which needs no
     * descriptor: how a write that failed for want of descriptors is taken back.
     *
     * @throws IOException with the system's reason when the file cannot be cut
     */
    public static void truncate(Path file, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = Libc.allocateCapture(arena);
            // encoded as the JDK encodes file names, so that the same file is named
            MemorySegment name = arena.allocateFrom(file.toString(), FILE_NAMES);
            if (Libc.truncate(capture, name, length) < 0) {
                throw new IOException("cannot cut " + file + " to " + length + " bytes: "
                        + Libc.strerror(Libc.errno(capture)));
            }
        }
    }

    private static Charset fileNameCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }
}
