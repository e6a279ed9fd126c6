package dev.tailbus.core.log;

import java.io.Closeable;

/**
 * One subscription's stream of events from a log that has no single order of positions (a
 * cluster of partitions): history, then live events, in the log's own order. Each event's bytes
 * carry the position (field 100) and a resume token (field 101): handed back in
 * {@link FeedStart#resumeToken()}, it continues after that event, exactly.
 *
 * <p>An event is taken in two steps, {@link #nextSize()} then {@link #takeNext}, so that its
 * bytes are written once, straight where they are sent (a batch message), with no array of
 * their own; {@link #next()} gives one event as its own array.
 *
 * <p>Neither blocks; after {@link #nextSize()} answered -1, the log calls the {@link #onData}
 * hook (on a thread of its own) when there may be more.
 *
 * <p>Not thread-safe: one thread at a time takes events.
 */
public interface LogFeed extends Closeable {
    /**
     * The length of the next event's bytes, or -1 when there is none yet. It is not taken: the
     * same event is there until {@link #takeNext}.
     */
    int nextSize();

    /**
     * Writes the next event's bytes, {@link #nextSize()} of them, into {@code out} from
     * {@code offset}, and takes it. Only after {@link #nextSize()} answered a length.
     */
    void takeNext(byte[] out, int offset);

    /** The next event as an array of its own, or null when there is none yet. */
    default byte[] next() {
        int size = nextSize();
        if (size < 0) {
            return null;
        }
        byte[] out = new byte[size];
        takeNext(out, 0);
        return out;
    }

    /** Sets the hook called when events may be there after {@link #nextSize()} answered -1. */
    void onData(Runnable hook);

    /** Stops reading and releases everything. Idempotent. */
    @Override
    void close();
}
