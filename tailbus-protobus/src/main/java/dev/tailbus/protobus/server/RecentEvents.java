package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The most recently appended events, by position, in a fixed ring shared by every
 * subscription: a subscriber that keeps up takes them from memory instead of reading the log,
 * so that many subscribers cost one append, not one read each.
 *
 * <p>A slot holds the event of one position (or records that the position's event was not
 * stored). A lookup that finds another position there (not yet filled, or overwritten since)
 * answers null and the subscriber reads the log instead, which is always right: the ring is only
 * a shortcut. Events larger than {@link #MAX_EVENT_BYTES} are not kept, which bounds the ring's
 * memory to {@code SLOTS * MAX_EVENT_BYTES}.
 *
 * <p>Thread-safe without locks: publishers fill slots after their append returned, subscribers
 * read them.
 */
final class RecentEvents {
    // 16,384 slots of at most 1 KiB: at most 16 MiB of events, whatever the traffic, so that a
    // small heap (the tests run the server in 64 MiB) keeps room for the transport's buffers.
    static final int SLOTS = 1 << 14;
    static final int MAX_EVENT_BYTES = 1024;
    private static final int MASK = SLOTS - 1;

    /** One position's event; {@code event} is null when no pattern stored it. */
    record Entry(long position, String topic, byte[] event) {
    }

    private final AtomicReferenceArray<Entry> slots = new AtomicReferenceArray<>(SLOTS);

    /** Records a publisher's appended batch. */
    void add(List<AppendedEvent> appended) {
        for (AppendedEvent e : appended) {
            if (!e.stored()) {
                slots.set(slot(e.position()), new Entry(e.position(), e.topic(), null));
            } else if (e.event().length <= MAX_EVENT_BYTES) {
                slots.set(slot(e.position()), new Entry(e.position(), e.topic(), e.event()));
            }
        }
    }

    /** The entry of {@code position}, or null when the ring does not hold it. */
    Entry at(long position) {
        Entry e = slots.get(slot(position));
        return e != null && e.position() == position ? e : null;
    }

    private static int slot(long position) {
        return (int) (position & MASK);
    }
}
