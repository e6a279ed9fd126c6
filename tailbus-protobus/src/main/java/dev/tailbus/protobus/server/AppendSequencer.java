package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Announces appended batches in position order, whatever order their appends return in.
 *
 * <p>Design note: publishers append concurrently and the log group-commits their batches, so
 * the calls return in any order: publisher A may get positions 1..10 and return after publisher B
 * got 11..20. Subscriptions merge stored events (from the log) and unstored ones (from memory) by
 * position, which is only right if nothing below a position they were told of can still arrive.
 * So every append takes a ticket first ({@link #enter}); its result ({@link #complete}) is held
 * back until it is next in line: it follows the last announced position directly, or every append
 * that entered before it returned has completed (so nothing smaller can come; this covers logs
 * whose positions have gaps, and appends that failed). {@link #announced()} is then the position
 * up to which every event is known: stored ones readable, unstored ones handed out.
 *
 * <p>Threading: thread-safe; the announcing callback runs under the sequencer's lock, one batch
 * at a time, in position order, so it must be short (it fills the ring of recent events and
 * hands out unstored events).
 */
final class AppendSequencer {
    private final Consumer<List<AppendedEvent>> announce;
    private final TreeSet<Long> open = new TreeSet<>();
    private final TreeMap<Long, Held> held = new TreeMap<>();
    private long tickets;
    private volatile long announced;

    /** A completed batch waiting for its turn; {@code barrier}: the last ticket given when it returned. */
    private record Held(List<AppendedEvent> events, long barrier) {
    }

    /**
     * @param announced the position up to which everything is known at the start (the log's last)
     * @param announce  called with each batch in position order, under the lock
     */
    AppendSequencer(long announced, Consumer<List<AppendedEvent>> announce) {
        this.announced = announced;
        this.announce = announce;
    }

    /** Before appending: a ticket to hand to {@link #complete}. */
    synchronized long enter() {
        long t = ++tickets;
        open.add(t);
        return t;
    }

    /**
     * After the append of {@code ticket} returned (with its events) or failed (with none):
     * announces it and whatever it held back, when their turn has come.
     *
     * @return whether anything was announced
     */
    synchronized boolean complete(long ticket, List<AppendedEvent> appended) {
        open.remove(ticket);
        if (!appended.isEmpty()) {
            held.put(appended.getFirst().position(), new Held(appended, tickets));
        }
        boolean any = false;
        while (!held.isEmpty()) {
            var first = held.firstEntry();
            Held h = first.getValue();
            boolean next = first.getKey() == announced + 1;
            boolean nothingBefore = open.isEmpty() || open.first() > h.barrier();
            if (!next && !nothingBefore) {
                break;
            }
            held.pollFirstEntry();
            announce.accept(h.events());
            announced = h.events().getLast().position();
            any = true;
        }
        return any;
    }

    /**
     * The log says a batch became visible up to {@code lastPosition}. When none of our own appends
     * is under way, that batch was somebody else's (another writer of a shared log): everything up
     * to it is known. Else our own completion will announce it.
     *
     * @return whether the announced position moved
     */
    synchronized boolean visible(long lastPosition) {
        if (open.isEmpty() && held.isEmpty() && lastPosition > announced) {
            announced = lastPosition;
            return true;
        }
        return false;
    }

    /** Every event at or below this position is known (stored readable, unstored handed out). */
    long announced() {
        return announced;
    }

    /** Runs {@code action} with no batch being announced meanwhile (a subscription's start). */
    synchronized <T> T exclusive(Supplier<T> action) {
        return action.get();
    }
}
