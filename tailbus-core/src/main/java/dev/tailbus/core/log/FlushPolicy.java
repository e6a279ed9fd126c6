package dev.tailbus.core.log;

import dev.tailbus.core.TailbusException.Kind;

/**
 * When appended bytes are forced to stable storage.
 *
 * <ul>
 *   <li>{@link Mode#NONE}: each batch is written to the operating system before
 *       {@link EventLog#append} returns, never forced. A crash of the process loses nothing that
 *       was appended; a power loss or kernel crash loses what the kernel had not yet written back
 *       (typically up to 30 s), and may leave a torn last record, which the next open truncates.
 *   <li>{@link Mode#INTERVAL}: as NONE, and a background thread forces the files every
 *       {@code intervalMillis}: a power loss loses at most about that much.
 *   <li>{@link Mode#BATCH}: {@code append} returns, and readers see the batch, only after the
 *       data was forced; concurrent appenders share one force (group commit).
 * </ul>
 *
 * @param mode           the policy
 * @param intervalMillis the period of {@link Mode#INTERVAL}, else 0
 */
public record FlushPolicy(Mode mode, long intervalMillis) {
    /** The kinds of flush policy. */
    public enum Mode { NONE, INTERVAL, BATCH }

    /** Never force. */
    public static final FlushPolicy NONE = new FlushPolicy(Mode.NONE, 0);
    /** Force every append batch before it returns (group-committed). */
    public static final FlushPolicy BATCH = new FlushPolicy(Mode.BATCH, 0);

    public FlushPolicy {
        if (mode == null) {
            throw new LogException(Kind.BAD_INPUT, "missing flush policy");
        }
        if (mode == Mode.INTERVAL && intervalMillis <= 0) {
            throw new LogException(Kind.BAD_INPUT, "flush interval must be positive, got " + intervalMillis);
        }
        if (mode != Mode.INTERVAL) {
            intervalMillis = 0;
        }
    }

    /** Force every {@code millis} milliseconds. */
    public static FlushPolicy interval(long millis) {
        return new FlushPolicy(Mode.INTERVAL, millis);
    }

    /** Parses {@code none}, {@code batch} or a period in milliseconds such as {@code 100} or {@code 100ms}. */
    public static FlushPolicy parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("none")) {
            return NONE;
        }
        if (s.equals("batch")) {
            return BATCH;
        }
        String digits = s.endsWith("ms") ? s.substring(0, s.length() - 2) : s;
        try {
            return interval(Long.parseLong(digits));
        } catch (NumberFormatException e) {
            throw new LogException(Kind.BAD_INPUT, "flush policy must be none, batch or a period in ms, got "
                    + LogException.quote(spec));
        }
    }

    @Override
    public String toString() {
        return mode == Mode.INTERVAL ? intervalMillis + "ms" : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
