package dev.tailbus.filebus;

import java.util.Locale;

/**
 * Where a producer's or consumer's time goes, phase by phase of the chunk handoff, for finding
 * what limits throughput. Off unless the JVM runs with {@code -Dtailbus.filebus.phases=true}
 * (through the launcher: {@code TAILBUS_JAVA_OPTS=-Dtailbus.filebus.phases=true}); then the
 * totals are printed on stderr, one line per phase, when the process ends normally.
 *
 * <p>Threading: each phase is timed by one thread only (the input phases by the producer's input
 * thread, the others by the main thread); the totals are read once, by the exit hook.
 */
final class PhaseTimes {
    /** The timed phases, in the order of a chunk's path. */
    enum Phase {
        STDIN_READ("producer input thread", "read stdin"),
        QUEUE_FULL("producer input thread", "wait: the queue to the chunker is full"),
        INPUT_WAIT("producer", "wait for input"),
        BUS_FULL("producer", "wait: until F is taken"),
        WRITE_LOCK("producer", "flock F.lock"),
        STAGE("producer", "write F.__new__"),
        RENAME("producer", "rename F.__new__ onto F"),
        WRITE_UNLOCK("producer", "unlock"),
        FIRST_CHUNK("consumer", "wait for the first chunk"),
        BUS_EMPTY("consumer", "wait: until F appears"),
        READ_LOCK("consumer", "flock F.lock"),
        READ("consumer", "read F"),
        STDOUT("consumer", "write stdout"),
        UNLINK("consumer", "unlink F"),
        READ_UNLOCK("consumer", "unlock");

        final String side;
        final String what;

        Phase(String side, String what) {
            this.side = side;
            this.what = what;
        }
    }

    static final boolean ENABLED = Boolean.getBoolean("tailbus.filebus.phases");

    private static final long[] NANOS = new long[Phase.values().length];
    private static final long[] COUNTS = new long[Phase.values().length];
    private static final long STARTED = System.nanoTime();

    static {
        if (ENABLED) {
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(PhaseTimes::print));
        }
    }

    private PhaseTimes() {
    }

    /** A time to pass to {@link #end}; 0 when timing is off. */
    static long start() {
        return ENABLED ? System.nanoTime() : 0;
    }

    /** Adds the time since {@code started} to {@code phase}; returns now, the next phase's start. */
    static long end(Phase phase, long started) {
        if (!ENABLED) {
            return 0;
        }
        long now = System.nanoTime();
        NANOS[phase.ordinal()] += now - started;
        COUNTS[phase.ordinal()]++;
        return now;
    }

    private static void print() {
        double lifetime = (System.nanoTime() - STARTED) / 1e6;
        StringBuilder out = new StringBuilder();
        for (Phase phase : Phase.values()) {
            long count = COUNTS[phase.ordinal()];
            if (count > 0) {
                double millis = NANOS[phase.ordinal()] / 1e6;
                out.append(String.format(Locale.ROOT, "filebus phase: %s | %s | %.1f ms | %d times | %.2f us each%n",
                        phase.side, phase.what, millis, count, millis * 1000 / count));
            }
        }
        out.append(String.format(Locale.ROOT, "filebus phase: total | since the class was loaded | %.1f ms%n", lifetime));
        System.err.print(out);
    }
}
