package dev.tailbus.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * How the tools log: one line per record on stderr, {@code TOOL: [LEVEL: ]message}, where
 * information goes untagged and warnings, errors and debug lines say so. A record's exception
 * adds its type and message to the line; no stack traces.
 */
final class StderrLogging {
    private StderrLogging() {
    }

    /** Replaces the root logger's handlers with one that prints records of {@code level} and above. */
    static void install(String tool, Level level) {
        Logger root = Logger.getLogger("");
        for (java.util.logging.Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setLevel(level);
        handler.setFormatter(new Formatter() {
            @Override
            public String format(LogRecord record) {
                int value = record.getLevel().intValue();
                String tag = value >= Level.SEVERE.intValue() ? "error: "
                        : value >= Level.WARNING.intValue() ? "warning: "
                        : value >= Level.INFO.intValue() ? "" : "debug: ";
                // The cause goes on the same line, by name and message: enough to act on,
                // without a stack trace.
                Throwable thrown = record.getThrown();
                String cause = thrown == null ? "" : ": " + thrown;
                return tool + ": " + tag + formatMessage(record) + cause + System.lineSeparator();
            }
        });
        root.addHandler(handler);
        root.setLevel(level);
    }
}
