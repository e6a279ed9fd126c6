package dev.tailbus.cli;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps gRPC's own log records (such as a name-resolution warning with a stack trace) off the
 * client commands' stderr: their failures reach the user as the command's one-line error.
 * Set {@code TAILBUS_DEBUG=1} to see them.
 */
final class ClientLogging {
    /** Held strongly: a logger's level is lost when the logger is collected. */
    private static final Logger GRPC = Logger.getLogger("io.grpc");

    private ClientLogging() {
    }

    static void quiet() {
        if (System.getenv("TAILBUS_DEBUG") == null) {
            GRPC.setLevel(Level.OFF);
        }
    }
}
