package dev.tailbus.cli;

/**
 * Turns SIGINT and SIGTERM into a call, so that a server shuts down gracefully and exits 0
 * instead of the JVM's default of running shutdown hooks and exiting 130 or 143; and SIGHUP into
 * a call (such as rereading a file).
 */
final class SignalTrap {
    private SignalTrap() {
    }

    /** Runs {@code action} (on a signal thread) on the first SIGINT or SIGTERM. */
    @SuppressWarnings("removal")
    static void onTermination(Runnable action) {
        sun.misc.SignalHandler handler = signal -> action.run();
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
    }

    /** Runs {@code action} (on a signal thread) on every SIGHUP, instead of the JVM's exit. */
    @SuppressWarnings("removal")
    static void onHangup(Runnable action) {
        sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
    }
}
