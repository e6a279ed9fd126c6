package dev.tailbus.core.log;

import java.io.Closeable;

/**
 * One subscription's stream of events from a log that has no single order of positions (a
 * cluster of partitions): history, then live events, in the log's own order. Each event's bytes
 * carry the position (field 100) and a resume token (field 101): handed back in
 * {@link FeedStart#resumeToken()}, it continues after that event, exactly.
 *
 * <p>{@link #next()} never blocks; after it returned null, the log calls the {@link #onData}
 * hook (on a thread of its own) when there may be more.
 *
 * <p>Not thread-safe: one thread at a time calls {@link #next()}.
 */
public interface LogFeed extends Closeable {
    /** The next event, or null when there is none yet. */
    StoredEvent next();

    /** Sets the hook called when events may be there after {@link #next()} answered null. */
    void onData(Runnable hook);

    /** Stops reading and releases everything. Idempotent. */
    @Override
    void close();
}
