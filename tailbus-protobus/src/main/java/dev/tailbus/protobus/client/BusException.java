package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException;

/**
 * What the client library throws: a refused request or option ({@link Kind#BAD_INPUT}), a server
 * that cannot be reached or that failed the call ({@link Kind#UNAVAILABLE}), an interrupt
 * ({@link Kind#IO}); its message is one line naming the server or the topic.
 */
public final class BusException extends TailbusException {
    public BusException(Kind kind, String message) {
        super(kind, message);
    }

    public BusException(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }
}
