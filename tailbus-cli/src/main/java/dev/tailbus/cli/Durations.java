package dev.tailbus.cli;

import dev.tailbus.core.TailbusException;
import java.time.Duration;
import java.util.Locale;

/**
 * The one way the command lines read a duration: a number of seconds (fractions allowed, as
 * {@code 2.5}), or a number with a unit: {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}
 * ({@code 500ms}, {@code 10s}, {@code 36h}, {@code 7d}). Zero and negative durations are refused.
 */
final class Durations {
    private Durations() {
    }

    /** Parses {@code text}, given for {@code option}; a bad value is a usage error naming both. */
    static Duration parse(String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        double unitNanos = 1e9;
        if (t.endsWith("ms")) {
            unitNanos = 1e6;
            t = t.substring(0, t.length() - 2);
        } else if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 's' -> unitNanos = 1e9;
                case 'm' -> unitNanos = 60e9;
                case 'h' -> unitNanos = 3_600e9;
                case 'd' -> unitNanos = 86_400e9;
                default -> unitNanos = 0;
            }
            if (unitNanos == 0) {
                unitNanos = 1e9;
            } else {
                t = t.substring(0, t.length() - 1);
            }
        }
        double nanos;
        try {
            nanos = Double.parseDouble(t) * unitNanos;
        } catch (NumberFormatException e) {
            nanos = Double.NaN;
        }
        if (!(nanos >= 1) || nanos > Long.MAX_VALUE) {
            throw new TailbusException(TailbusException.Kind.BAD_INPUT, option + ": '" + text
                    + "' is not a positive duration such as 500ms, 10s, 36h or 7d");
        }
        return Duration.ofNanos((long) nanos);
    }
}
