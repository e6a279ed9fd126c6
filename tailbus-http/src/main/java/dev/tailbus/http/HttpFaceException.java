package dev.tailbus.http;

import dev.tailbus.core.TailbusException;

/** The HTTP face cannot start (its address cannot be bound): one line for the user, exit 1. */
public final class HttpFaceException extends TailbusException {
    private static final long serialVersionUID = 1L;

    public HttpFaceException(String message, Throwable cause) {
        super(Kind.UNAVAILABLE, message, cause);
    }
}
