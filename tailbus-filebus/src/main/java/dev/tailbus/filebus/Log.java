package dev.tailbus.filebus;

import java.util.function.Supplier;

/**
 * filebus's diagnostics on stderr, as the reference's {@code -v}: level 1 says what the process
 * does, level 2 every chunk. Off by default, so stderr stays quiet in pipelines.
 *
 * <p>Thread-safe.
 */
public final class Log {
    private static volatile int verbosity;

    private Log() {
    }

    /** Sets how many {@code -v} were given. */
    public static void verbosity(int level) {
        verbosity = level;
    }

    static void info(Supplier<String> message) {
        if (verbosity >= 1) {
            System.err.println("filebus: " + message.get());
        }
    }

    static void debug(Supplier<String> message) {
        if (verbosity >= 2) {
            System.err.println("filebus: " + message.get());
        }
    }
}
