package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscription's events of topics that no store pattern keeps, in position order: they exist
 * nowhere but in memory, so they wait here until the subscription's cursor reaches their
 * position. At most {@code limit} bytes wait; one more makes the queue overflow for good, and the
 * subscription must end, saying which topic's events were lost.
 *
 * <p>Threading: one producer at a time (the {@link AppendSequencer}, which offers in position
 * order) and one consumer at a time (the subscription's drain).
 */
final class UnstoredQueue {
    private final long limit;
    private final ConcurrentLinkedQueue<AppendedEvent> events = new ConcurrentLinkedQueue<>();
    private final AtomicLong bytes = new AtomicLong();
    private volatile String overflowTopic;

    UnstoredQueue(long limit) {
        this.limit = limit;
    }

    /** Queues {@code event}; returns false (and drops it) once the queue has overflowed. */
    boolean offer(AppendedEvent event) {
        if (overflowTopic != null) {
            return false;
        }
        if (bytes.addAndGet(event.event().length) > limit) {
            overflowTopic = event.topic();
            events.clear(); // the subscription ends: free the memory now
            return false;
        }
        events.add(event);
        return true;
    }

    /** The first waiting event with a position above {@code after}; those at or below are dropped. */
    AppendedEvent peekAfter(long after) {
        AppendedEvent e;
        while ((e = events.peek()) != null && e.position() <= after) {
            poll();
        }
        return e;
    }

    /** Removes the first waiting event. */
    void poll() {
        AppendedEvent e = events.poll();
        if (e != null) {
            bytes.addAndGet(-e.event().length);
        }
    }

    /** The topic of the first event that did not fit, or null while nothing was lost. */
    String overflowTopic() {
        return overflowTopic;
    }
}
