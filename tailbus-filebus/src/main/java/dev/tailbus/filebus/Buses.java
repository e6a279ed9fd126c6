package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.fs.LockFile;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.AccessDeniedException;

/** What both sides of a bus do before they start: make its folder, open its lock file. */
final class Buses {
    private Buses() {
    }

    static void createFolder(BusPaths paths) {
        try {
            Files.createDirectories(paths.folder());
        } catch (IOException e) {
            throw new FilebusException(Kind.UNAVAILABLE, paths.folder(),
                    "cannot create folder " + paths.folder() + ": " + reason(e), e);
        }
    }

    static LockFile openLock(BusPaths paths) {
        try {
            return LockFile.open(paths.lock());
        } catch (IOException e) {
            throw new FilebusException(Kind.UNAVAILABLE, paths.lock(), e.getMessage(), e);
        }
    }

    /** The reason an I/O operation failed, in words, without the Java exception's name. */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file is in the way";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
