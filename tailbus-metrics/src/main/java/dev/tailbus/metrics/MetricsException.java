package dev.tailbus.metrics;

import dev.tailbus.core.TailbusException;

/** A metrics endpoint that cannot be set up: a malformed address (bad input) or a port in use. */
public final class MetricsException extends TailbusException {
    private static final long serialVersionUID = 1L;

    public MetricsException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }
}
