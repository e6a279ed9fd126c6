package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.fs.DiskSpace;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The log's domain exception: a bad topic or store pattern ({@link Kind#BAD_INPUT}), a store that
 * cannot be opened ({@link Kind#UNAVAILABLE}), stored bytes that fail their checks
 * ({@link Kind#CORRUPT}), a failed read or write ({@link Kind#IO}), or a write without room (a full
 * disk, a quota, a file size limit: {@link Kind#EXHAUSTED}), with the path or topic it is about
 * when there is one.
 */
public final class LogException extends TailbusException {
    private final transient Path path;
    private final String topic;

    public LogException(Kind kind, String message) {
        this(kind, message, null, null, null);
    }

    public LogException(Kind kind, String message, Path path, String topic, Throwable cause) {
        super(kind, message, cause);
        this.path = path;
        this.topic = topic;
    }

    /** A topic the log refuses to store. */
    static LogException badTopic(String topic, String why) {
        return new LogException(Kind.BAD_INPUT, "invalid topic " + quote(topic) + ": " + why, null, topic, null);
    }

    /** An I/O failure on {@code path}; {@link Kind#EXHAUSTED} when it was for want of room. */
    static LogException io(String what, Path path, IOException cause) {
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new LogException(DiskSpace.isExhausted(cause) ? Kind.EXHAUSTED : Kind.IO,
                "cannot " + what + " " + path + ": " + detail, path, null, cause);
    }

    /**
     * An append refused for want of room while writing {@code file}: names the store, the file,
     * the cause and the room left; nothing of it was kept, and later appends are tried again.
     */
    static LogException exhausted(Path root, Path file, Throwable cause) {
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        long free = DiskSpace.usable(root);
        return new LogException(Kind.EXHAUSTED, "the store at " + root + " has no room: writing " + file + " failed ("
                + detail + "); " + (free < 0 ? "its free space is unknown" : free + " bytes free on its file system")
                + "; nothing of this append was stored, and appends are taken again once there is room",
                file, null, cause);
    }

    /**
     * An append refused because the process had no descriptor left to open {@code file} with, or
     * no memory ({@code cause} an {@link OutOfMemoryError}); nothing of it was kept, and later
     * appends are tried again.
     */
    static LogException shortOf(Path root, Path file, Throwable cause, int openFiles) {
        String what = cause instanceof OutOfMemoryError
                ? "ran out of memory (" + cause.getMessage() + ") while writing " + file
                : "ran out of file descriptors opening " + file + " (" + openFiles + " store files open)";
        return new LogException(Kind.EXHAUSTED, "the store at " + root + " cannot take this append: the process "
                + what + "; nothing of this append was stored, and appends are taken again once the process has "
                + (cause instanceof OutOfMemoryError ? "memory" : "descriptors") + " to spare", file, null, cause);
    }

    /** A read of {@code path} ended because the reading thread was interrupted. */
    static LogException interrupted(Path path, IOException cause) {
        return new LogException(Kind.IO, "interrupted while reading " + path, path, null, cause);
    }

    /** Stored bytes at {@code offset} of {@code path} that fail their checks. */
    static LogException corrupt(Path path, long offset, String why) {
        return new LogException(Kind.CORRUPT, "corrupt record in " + path + " at offset " + offset + ": " + why,
                path, null, null);
    }

    /** The file this is about, or null. */
    public Path path() {
        return path;
    }

    /** The topic this is about, or null. */
    public String topic() {
        return topic;
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append(s.length() > 200 ? "...'" : "'").toString();
    }
}
