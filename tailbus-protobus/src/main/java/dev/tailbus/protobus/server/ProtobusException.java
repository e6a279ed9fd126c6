package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException;

/**
 * The protobus module's domain exception: a bad command-line value or request
 * ({@link Kind#BAD_INPUT}), an address that cannot be bound ({@link Kind#UNAVAILABLE}), with the
 * address or topic it is about in its one-line message.
 */
public final class ProtobusException extends TailbusException {
    public ProtobusException(Kind kind, String message) {
        super(kind, message);
    }

    public ProtobusException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }
}
