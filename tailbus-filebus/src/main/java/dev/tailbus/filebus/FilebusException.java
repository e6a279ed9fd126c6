package dev.tailbus.filebus;

import dev.tailbus.core.TailbusException;
import java.nio.file.Path;

/** A filebus failure, about one bus file. */
public final class FilebusException extends TailbusException {
    private final Path path;

    public FilebusException(Kind kind, Path path, String message) {
        super(kind, message);
        this.path = path;
    }

    public FilebusException(Kind kind, Path path, String message, Throwable cause) {
        super(kind, message, cause);
        this.path = path;
    }

    /** The file or folder the failure is about. */
    public Path path() {
        return path;
    }
}
