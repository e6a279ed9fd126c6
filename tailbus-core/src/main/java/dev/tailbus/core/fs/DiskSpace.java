package dev.tailbus.core.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells a write that failed for want of room (a full file system, a disk quota, a file size
 * limit) from other I/O failures, and says how much room is left where a file lives.
 *
 * <p>Design note: the JDK reports a failed write as a plain {@link IOException} whose message is
 * the C library's text for the error number, and keeps the number itself to itself. So the texts
 * are compared, as this process's C library words them ({@code strerror}, in the locale the JDK
 * also uses), with the English ones as a fallback.
 *
 * <p>Stateless and thread-safe.
 */
public final class DiskSpace {
    private static final int EFBIG = 27;
    private static final int ENOSPC = 28;
    private static final int EDQUOT = 122;
    private static final String[] TEXTS = texts();

    private DiskSpace() {
    }

    /** Whether {@code e} (or a cause of it) says there was no room to write: ENOSPC, EDQUOT or EFBIG. */
    public static boolean isExhausted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (t instanceof IOException && message != null) {
                for (String text : TEXTS) {
                    if (message.endsWith(text)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The bytes an unprivileged process may still write on the file system of {@code path}, or -1. */
    public static long usable(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static String[] texts() {
        String[] english = {"No space left on device", "Disk quota exceeded", "File too large"};
        int[] numbers = {ENOSPC, EDQUOT, EFBIG};
        String[] all = new String[english.length * 2];
        for (int i = 0; i < numbers.length; i++) {
            all[i] = english[i];
            String local;
            try {
                local = Libc.strerror(numbers[i]);
                if (local.startsWith("errno ")) {
                    local = english[i];
                }
            } catch (LinkageError | RuntimeException e) {
                local = english[i]; // no native access: the English texts alone
            }
            all[english.length + i] = local;
        }
        return all;
    }
}
