package dev.tailbus.core.log;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads stored events in position order. {@link #next()} returns null when caught up and never
 * blocks: use {@link BusLog#onAppend} to learn when to call it again. An event stored by two
 * patterns in two files appears once. Corrupt records are logged and skipped.
 *
 * <p>Not thread-safe: one thread at a time.
 */
public interface LogReader extends Closeable {
    /** The next stored event, or null when there is none yet. */
    StoredEvent next();

    /** Releases the reader. Idempotent. */
    @Override
    void close();

    /** Reads every event there is now into a list, then closes this reader. */
    default List<StoredEvent> toList() {
        try (this) {
            List<StoredEvent> all = new ArrayList<>();
            for (StoredEvent e = next(); e != null; e = next()) {
                all.add(e);
            }
            return all;
        }
    }

    /** A reader over events already in hand, in the order given. */
    static LogReader of(List<StoredEvent> events) {
        Iterator<StoredEvent> it = events.iterator();
        return new LogReader() {
            @Override
            public StoredEvent next() {
                return it.hasNext() ? it.next() : null;
            }

            @Override
            public void close() {
            }
        };
    }
}
