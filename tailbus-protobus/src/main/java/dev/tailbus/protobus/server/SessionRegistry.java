package dev.tailbus.protobus.server;

import dev.tailbus.core.log.AppendedEvent;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live sessions of one server, and the news they need: the position up to which every event
 * is announced (see {@link AppendSequencer}), the shared ring of recent events, and the events of
 * topics that no store pattern keeps, handed to the subscriptions that match them.
 *
 * <p>On a log without one order of positions (a cluster, whose subscriptions read the log's own
 * feeds), nothing is sequenced: each append is handed out as it returns, and the ring is not kept.
 *
 * <p>Thread-safe: publishers announce their appends on worker threads; sessions come and go on
 * gRPC threads.
 */
final class SessionRegistry {
    private final Set<SubscriptionSession> subscriptions = ConcurrentHashMap.newKeySet();
    private final Set<PublishSession> publishers = ConcurrentHashMap.newKeySet();
    private final RecentEvents recent = new RecentEvents();
    private final AppendSequencer sequencer;
    private final boolean sequenced;
    private volatile boolean closing;

    /** A registry for a log of positions; {@code lastPosition}: the log's last when the server starts. */
    SessionRegistry(long lastPosition) {
        this(lastPosition, true);
    }

    /**
     * @param lastPosition the log's last position when the server starts
     * @param sequenced    whether the log has one order of positions (a local log), so that appends
     *                     are announced in it; false for a cluster's log
     */
    SessionRegistry(long lastPosition, boolean sequenced) {
        this.sequencer = new AppendSequencer(lastPosition, this::announce);
        this.sequenced = sequenced;
    }

    /**
     * The highest position such that every event at or below it is known: stored ones readable
     * from the log, unstored ones handed to the subscriptions.
     */
    long announcedPosition() {
        return sequencer.announced();
    }

    /** Before a publisher's append: its ticket for {@link #afterAppend}. */
    long beforeAppend() {
        return sequenced ? sequencer.enter() : 0;
    }

    /**
     * After a publisher's append returned (its events are visible) or failed ({@code appended}
     * empty): the events are announced in position order, and the waiting subscriptions woken.
     */
    void afterAppend(long ticket, List<AppendedEvent> appended) {
        if (!sequenced) {
            if (!appended.isEmpty()) {
                sequencer.exclusive(() -> {
                    handOut(appended);
                    return null;
                });
                wakeAll();
            }
            return;
        }
        if (sequencer.complete(ticket, appended)) {
            // This thread (a worker that appended) serves one waiting subscription itself, after
            // handing the others to the pool so that they start meanwhile: one thread hand-off
            // less on the way to a subscriber, and no subscriber waits for another's sending.
            SubscriptionSession here = null;
            for (SubscriptionSession s : subscriptions) {
                if (here == null) {
                    here = s.claimWake() ? s : null;
                } else {
                    s.onAppend();
                }
            }
            if (here != null) {
                here.drainHere();
            }
        }
    }

    /** From the log, after a batch became visible (ours, or another writer's). */
    void onAppend(long lastPosition) {
        if (!sequenced || sequencer.visible(lastPosition)) {
            wakeAll();
        }
    }

    /** Under the sequencer's lock, in position order: into the ring, unstored events to their subscriptions. */
    private void announce(List<AppendedEvent> batch) {
        recent.add(batch);
        handOut(batch);
    }

    /** The unstored events of {@code batch} to the subscriptions (each keeps those it matches). */
    private void handOut(List<AppendedEvent> batch) {
        for (AppendedEvent e : batch) {
            if (!e.stored()) {
                for (SubscriptionSession s : subscriptions) {
                    s.offerUnstored(e);
                }
            }
        }
    }

    private void wakeAll() {
        for (SubscriptionSession s : subscriptions) {
            s.onAppend();
        }
    }

    RecentEvents recent() {
        return recent;
    }

    /**
     * Registers a subscription and returns its snapshot: the announced position at that moment,
     * so that every unstored event after it reaches the subscription's queue. A subscription that
     * arrives while the server closes is told to end at once.
     */
    long add(SubscriptionSession s) {
        long snapshot = sequencer.exclusive(() -> {
            subscriptions.add(s);
            return sequencer.announced();
        });
        if (closing) {
            s.shutdown();
        }
        return snapshot;
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
