package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.LogReader;
import dev.tailbus.core.log.StoredEvent;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * One subscription's place in the stream of events: the history first, then every matching
 * event after the start position in increasing position order, stored and unstored merged by
 * position, never beyond what the {@link AppendSequencer} announced.
 *
 * <p>Stored events come from the ring of recent events while it holds the next positions, else
 * from a {@link LogReader} (a subscriber that fell behind, an event too large for the ring);
 * events of unstored topics come from the ring or from the subscription's {@link UnstoredQueue}.
 * Since everything at or below the announced position is known when it is read (stored events
 * readable, unstored ones queued), taking the smaller of the next stored event and the first
 * queued one, both bounded by it, gives every event once and in order.
 *
 * <p>Not thread-safe: used by the subscription's drain, one run at a time.
 */
final class SubscriptionCursor implements AutoCloseable {
    private static final VarHandle POSITION;

    static {
        try {
            POSITION = MethodHandles.lookup().findVarHandle(SubscriptionCursor.class, "position", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final BusLog log;
    private final RecentEvents ring;
    private final LongSupplier announced;
    private final UnstoredQueue unstored;
    private final Predicate<String> filter;
    private LogReader history;
    /** Whether the history is still being sent, for {@link #inHistoryFromAnyThread()}. */
    private volatile boolean inHistory;
    /** The position of the last event passed (sent, or skipped as not matching). */
    private long position;
    /** A log reader standing after {@link #position} or after {@link #carried}, or null. */
    private LogReader reader;
    /** An event the reader returned that is not to be sent yet, or null. */
    private StoredEvent carried;
    private String lastTopic;
    private boolean lastMatch;

    SubscriptionCursor(BusLog log, RecentEvents ring, LongSupplier announced, UnstoredQueue unstored,
                       Predicate<String> filter, SubscriptionStart start) {
        this.log = log;
        this.ring = ring;
        this.announced = announced;
        this.unstored = unstored;
        this.filter = filter;
        this.history = start.history();
        this.inHistory = history != null;
        this.position = start.after();
        this.reader = start.reader();
        this.carried = start.first();
    }

    /** The position of the last event passed. */
    long position() {
        return position;
    }

    /** As {@link #position()}, read whole from another thread (a recent value). */
    long positionFromAnyThread() {
        return (long) POSITION.getOpaque(this);
    }

    /** Whether the history is still being sent, read from another thread (a recent value). */
    boolean inHistoryFromAnyThread() {
        return inHistory;
    }

    /**
     * The next event's bytes, or null when there is none yet (call again after the next
     * announcement).
     *
     * @throws dev.tailbus.core.TailbusException when the log cannot be read
     */
    byte[] next() {
        if (history != null) {
            StoredEvent h = history.next();
            if (h != null) {
                return h.event();
            }
            history.close();
            history = null;
            inHistory = false;
        }
        // The bound first: every event at or below it is in the log or in the queue by now.
        long bound = announced.getAsLong();
        AppendedEvent queued = unstored.peekAfter(position);
        boolean queuedDue = queued != null && queued.position() <= bound;
        byte[] stored = nextStored(queuedDue ? queued.position() - 1 : bound);
        if (stored != null) {
            return stored;
        }
        if (queuedDue) {
            unstored.poll();
            position = queued.position();
            return queued.event();
        }
        return null;
    }

    /** The next matching event from the ring or the log with a position up to {@code limit}, or null. */
    private byte[] nextStored(long limit) {
        while (position < limit) {
            if (reader != null && carried == null && ring.at(position + 1) != null) {
                closeReader(); // the ring holds what follows again
            }
            if (reader == null) {
                RecentEvents.Entry e = ring.at(position + 1);
                if (e != null && (e.event() != null || !e.stored() || !matches(e.topic()))) {
                    position++;
                    if (e.event() != null && matches(e.topic())) {
                        return e.event();
                    }
                    continue; // not for us, or unstored and too large for the ring (then it is queued)
                }
                // behind the ring, a position it never held, or a large stored event: read the log
                reader = log.readAfter(filter, position);
            }
            StoredEvent s = carried != null ? carried : reader.next();
            carried = null;
            // events of unstored topics before it that the ring still holds (from before this
            // subscription registered, such as while it reconnected) go first, in their place
            byte[] unstoredBefore = unstoredInRing(s == null ? limit : Math.min(limit, s.position() - 1));
            if (unstoredBefore != null) {
                carried = s;
                return unstoredBefore;
            }
            if (s == null) {
                position = limit; // nothing stored matches up to the bound (the reader saw all of it)
                return null;
            }
            if (s.position() > limit) {
                carried = s;
                position = limit;
                return null;
            }
            position = s.position();
            return s.event();
        }
        return null;
    }

    /** The first matching unstored event that the ring holds in (position, upTo], or null. */
    private byte[] unstoredInRing(long upTo) {
        for (long p = Math.max(position + 1, upTo - RecentEvents.SLOTS + 1); p <= upTo; p++) {
            RecentEvents.Entry e = ring.at(p);
            if (e != null && !e.stored() && e.event() != null && matches(e.topic())) {
                position = p;
                return e.event();
            }
        }
        return null;
    }

    private boolean matches(String topic) {
        if (!topic.equals(lastTopic)) {
            lastTopic = topic;
            lastMatch = filter.test(topic);
        }
        return lastMatch;
    }

    private void closeReader() {
        reader.close();
        reader = null;
        carried = null;
    }

    @Override
    public void close() {
        if (history != null) {
            history.close();
            history = null;
        }
        if (reader != null) {
            closeReader();
        }
    }
}
