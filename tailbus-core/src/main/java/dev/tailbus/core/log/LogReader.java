package dev.tailbus.core.log;

import java.io.Closeable;

/**
 * Reads stored events in position order. {@link #next()} returns null when caught up and never
 * blocks: use {@link EventLog#onAppend} to learn when to call it again. An event stored by two
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
}
