package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The most recently announced events, by position, in a fixed ring shared by every
 * subscription: a subscriber that keeps up takes them from memory instead of reading the log,
 * so that many subscribers cost one append, not one read each.
 *
 * <p>A slot holds the event of one position, stored or not. A lookup that finds another position
 * there (not yet filled, overwritten since, or a position the log never gave) answers null and
 * the subscriber reads the log instead, which is always right for stored events: the ring is a
 * shortcut for them. Events of unstored topics are also kept, so that a subscription that starts
 * (or resumes) after a position still finds those that the ring holds. Events larger than
 * {@link #MAX_EVENT_BYTES} are recorded without their bytes, which bounds the ring's memory to
 * {@code SLOTS * MAX_EVENT_BYTES}.
 *
 * <p>Thread-safe without locks: the {@link AppendSequencer} fills slots in position order,
 * subscribers read them.
 */
final class RecentEvents {
    // 16,384 slots of at most 1 KiB: at most 16 MiB of events, whatever the traffic, so that a
    // small heap (the tests run the server in 64 MiB) keeps room for the transport's buffers.
    static final int SLOTS = 1 << 14;
    static final int MAX_EVENT_BYTES = 1024;
    private static final int MASK = SLOTS - 1;

    /**
     * One position's event.
     *
     * @param event  the bytes, or null when larger than {@link #MAX_EVENT_BYTES}
     * @param stored whether a store pattern keeps it (else it exists only in memory)
     */
    record Entry(long position, String topic, byte[] event, boolean stored) {
    }

    private final AtomicReferenceArray<Entry> slots = new AtomicReferenceArray<>(SLOTS);

    /** Records an announced batch. */
    void add(List<AppendedEvent> appended) {
        for (AppendedEvent e : appended) {
            byte[] bytes = e.event().length <= MAX_EVENT_BYTES ? e.event() : null;
            slots.setRelease(slot(e.position()), new Entry(e.position(), e.topic(), bytes, e.stored()));
        }
    }

    /** The entry of {@code position}, or null when the ring does not hold it. */
    Entry at(long position) {
        Entry e = slots.getAcquire(slot(position));
        return e != null && e.position() == position ? e : null;
    }

    private static int slot(long position) {
        return (int) (position & MASK);
    }
}
