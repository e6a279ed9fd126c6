package dev.tailbus.tailsrv;

import dev.tailbus.core.TailbusException;

/**
 * Why tailsrv cannot serve: a bad command line, a path that is not a readable regular file, a
 * port that is taken. The message is one line fit for a user and names the path or the address.
 */
public final class TailsrvException extends TailbusException {
    public TailsrvException(Kind kind, String message) {
        super(kind, message);
    }

    public TailsrvException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }
}
