package dev.tailbus.core;

/**
 * The root of every tailbus module's domain exception: a message fit to show a user on one line,
 * and whether the user's input or the world (files, sockets) was at fault.
 *
 * <p>Each module has one subclass carrying what it is about (a path, a topic). The launcher turns
 * a {@code TailbusException} into its message on stderr and {@link Kind#exitStatus()}.
 */
public class TailbusException extends RuntimeException {
    /** Who is at fault, and the exit status that says so. */
    public enum Kind {
        /** The command line or a request was wrong: exit status 2. */
        BAD_INPUT(2),
        /** Something was missing or not allowed (a file, a port): exit status 1. */
        UNAVAILABLE(1),
        /** Stored data failed its checks: exit status 1. */
        CORRUPT(1),
        /** An I/O operation failed: exit status 1. */
        IO(1),
        /**
         * The machine ran out of something the operation needs (disk space, a quota, a file size
         * limit): exit status 1. Unlike {@link #IO}, trying again once it is freed may succeed.
         */
        EXHAUSTED(1);

        private final int exitStatus;

        Kind(int exitStatus) {
            this.exitStatus = exitStatus;
        }

        public int exitStatus() {
            return exitStatus;
        }
    }

    private final Kind kind;

    public TailbusException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public TailbusException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
