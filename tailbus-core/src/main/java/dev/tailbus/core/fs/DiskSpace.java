package dev.tailbus.core.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells a write that failed for want of room (a full file system, a disk quota, a file size
 * limit) from other I/O failures, and says how much room is left where a file lives.
 *
 * <p>Design note: the JDK reports a failed write as a plain {@link IOException} worded by the C
 * library, so the failure is told by its text ({@link ErrorTexts}).
 *
 * <p>Stateless and thread-safe.
 */
public final class DiskSpace {
    private static final int EFBIG = 27;
    private static final int ENOSPC = 28;
    private static final int EDQUOT = 122;
    private static final ErrorTexts NO_ROOM = new ErrorTexts(new int[] {ENOSPC, EDQUOT, EFBIG},
            new String[] {"No space left on device", "Disk quota exceeded", "File too large"});

    private DiskSpace() {
    }

    /** Whether {@code e} (or a cause of it) says there was no room to write: ENOSPC, EDQUOT or EFBIG. */
    public static boolean isExhausted(Throwable e) {
        return NO_ROOM.tell(e);
    }

    /** The bytes an unprivileged process may still write on the file system of {@code path}, or -1. */
    public static long usable(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
