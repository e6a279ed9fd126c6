package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.LogFeed;
import java.util.function.Supplier;

/**
 * The events a subscription sends next, taken in two steps, the size then the bytes, so that a
 * batch message is filled by writing each event once, in place ({@link BatchEncoder}); an event
 * that does not fit stays for the next message. {@link #next()} takes one as an array.
 *
 * <p>Not thread-safe: one subscription's drain.
 */
interface EventSource {
    /** The length of the next event, or -1 when none is due now; the same event until taken. */
    int nextSize();

    /** Writes the next event, {@link #nextSize()} bytes, into {@code out} at {@code offset}, and takes it. */
    void takeNext(byte[] out, int offset);

    /** Takes the next event as an array, or null when none is due now. */
    byte[] next();

    /**
     * Whether an event was taken from the cursor and waits here to be sent (its size was asked,
     * it did not fit in the last message), read from any thread: the cursor stands on it, though
     * it is not sent.
     */
    default boolean holdsOne() {
        return false;
    }

    /** Events given as arrays (a cursor on files): one is held between its size and its taking. */
    static EventSource ofArrays(Supplier<byte[]> events) {
        return new EventSource() {
            private byte[] held;
            private volatile boolean holding;

            @Override
            public int nextSize() {
                if (held == null) {
                    held = events.get();
                    if (held != null) {
                        holding = true;
                    }
                }
                return held == null ? -1 : held.length;
            }

            @Override
            public void takeNext(byte[] out, int offset) {
                System.arraycopy(held, 0, out, offset, held.length);
                held = null;
                holding = false;
            }

            @Override
            public byte[] next() {
                byte[] e = held != null ? held : events.get();
                if (held != null) {
                    held = null;
                    holding = false;
                }
                return e;
            }

            @Override
            public boolean holdsOne() {
                return holding;
            }
        };
    }

    /**
     * A log's feed, with the unstored events that matched queued meanwhile going first. Which of
     * the two the size was of is kept: an unstored event queued between the size and the taking
     * waits for the next one.
     */
    static EventSource ofFeed(LogFeed feed, UnstoredQueue unstored) {
        return new EventSource() {
            private AppendedEvent queued;
            private int feedSize = -1;

            @Override
            public int nextSize() {
                if (queued != null) {
                    return queued.event().length;
                }
                if (feedSize >= 0) {
                    return feedSize;
                }
                queued = unstored.peekAfter(Long.MIN_VALUE);
                if (queued != null) {
                    unstored.poll();
                    return queued.event().length;
                }
                feedSize = feed.nextSize();
                return feedSize;
            }

            @Override
            public void takeNext(byte[] out, int offset) {
                if (queued != null) {
                    System.arraycopy(queued.event(), 0, out, offset, queued.event().length);
                    queued = null;
                } else {
                    feed.takeNext(out, offset);
                    feedSize = -1;
                }
            }

            @Override
            public byte[] next() {
                if (nextSize() < 0) {
                    return null;
                }
                if (queued != null) {
                    byte[] e = queued.event();
                    queued = null;
                    return e;
                }
                byte[] out = new byte[feedSize];
                takeNext(out, 0);
                return out;
            }
        };
    }
}
