package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live sessions of one server, and the news they need: which log position is visible (every
 * stored event up to it can be read), and the events of topics that no store pattern keeps,
 * which exist nowhere but in memory.
 *
 * <p>Thread-safe: the log calls {@link #onAppend} on appending threads; sessions come and go on
 * gRPC threads.
 */
final class SessionRegistry {
    private final Set<SubscriptionSession> subscriptions = ConcurrentHashMap.newKeySet();
    private final Set<PublishSession> publishers = ConcurrentHashMap.newKeySet();
    private final AtomicLong visible;
    private final RecentEvents recent = new RecentEvents();
    private volatile boolean closing;

    SessionRegistry(long visiblePosition) {
        this.visible = new AtomicLong(visiblePosition);
    }

    /**
     * The highest position such that every stored event at or below it can be read; a
     * subscription's history ends there and its live part starts after it.
     */
    long visiblePosition() {
        return visible.get();
    }

    /** From the log, after a batch became visible. */
    void onAppend(long lastPosition) {
        visible.accumulateAndGet(lastPosition, Math::max);
    }

    /**
     * After a publisher's append returned (its events are visible): keeps the events in the ring
     * of recent events, wakes the waiting subscriptions, and hands the events that no pattern
     * stored to the subscriptions matching them. The server is the log's only appender, so this
     * is where every append is announced.
     */
    void afterAppend(List<AppendedEvent> appended) {
        if (appended.isEmpty()) {
            return;
        }
        // Into the ring first, then wake: a woken subscriber finds the events in memory.
        recent.add(appended);
        visible.accumulateAndGet(appended.get(appended.size() - 1).position(), Math::max);
        for (SubscriptionSession s : subscriptions) {
            s.onAppend();
        }
        for (AppendedEvent e : appended) {
            if (!e.stored()) {
                for (SubscriptionSession s : subscriptions) {
                    s.offerUnstored(e);
                }
            }
        }
    }

    /** Registers; a session that arrives while the server closes is told to end at once. */
    RecentEvents recent() {
        return recent;
    }

    void add(SubscriptionSession s) {
        subscriptions.add(s);
        if (closing) {
            s.shutdown();
        }
    }

    void remove(SubscriptionSession s) {
        subscriptions.remove(s);
    }

    /** Registers; a session that arrives while the server closes is told to end at once. */
    void add(PublishSession p) {
        publishers.add(p);
        if (closing) {
            p.shutdown();
        }
    }

    /** The server closes: every session, present or arriving, ends. */
    void closeAll() {
        closing = true;
        publishers.forEach(PublishSession::shutdown);
        subscriptions.forEach(SubscriptionSession::shutdown);
    }

    void remove(PublishSession p) {
        publishers.remove(p);
    }

    Set<SubscriptionSession> subscriptions() {
        return subscriptions;
    }

    Set<PublishSession> publishers() {
        return publishers;
    }
}
