package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.FeedStart;
import dev.tailbus.core.log.LogFeed;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;

/**
 * One subscriber ({@code Subscribe} or {@code SubscribeBatch}): its lifecycle and its sending.
 * Where it starts is a {@link SubscriptionStart}, what it sends next a {@link SubscriptionCursor}
 * (every matching event once, in position order), how batch messages are packed a
 * {@link BatchEncoder}; the events of unstored topics wait in its {@link UnstoredQueue}, and one
 * that overflows ends it with RESOURCE_EXHAUSTED, naming what was lost. On a log without one order
 * of positions (a cluster), the log's own {@link LogFeed} replaces the cursor, and unstored events
 * go out as they come, between the feed's events.
 *
 * <p>Sending follows gRPC flow control: events are taken only while the transport is ready, so
 * the memory of a subscription is about one transport window ({@link #TRANSPORT_BYTES}). Woken by
 * the registry after each announcement (only when it waits), by the transport when ready again.
 *
 * <p>Threading: all sending runs in {@link Drainer} runs, one at a time.
 */
final class SubscriptionSession {
    /** Bytes of unstored events queued per subscription before it is ended as too slow. */
    static final long UNSTORED_LIMIT = 4L << 20;
    /** Events sent per run before yielding the thread to other sessions. */
    private static final int EVENTS_PER_RUN = 8192;
    /** A batch message ({@code SubscribeBatch}) holds up to this many bytes of events. */
    private static final int BATCH_BYTES = 128 * 1024;
    /** Bytes the transport may hold for a subscriber before it stops being ready. */
    private static final int TRANSPORT_BYTES = 1 << 20;

    private final ServerCallStreamObserver<byte[]> observer;
    private final TopicFilter filter;
    private final ProtobusService service;
    private final Drainer drainer;
    private final UnstoredQueue unstored = new UnstoredQueue(UNSTORED_LIMIT);
    private final BatchEncoder encoder;
    private final int[] counted = new int[1];

    private volatile boolean started;
    private volatile boolean waiting;
    private volatile boolean cancelled;
    private volatile Status ending;
    private boolean finished;
    private volatile SubscriptionCursor cursor;
    /** The announced position when the subscription registered (0 until then). */
    private volatile long snapshot;
    /** On a log without one order of positions: the log's own feed, which replaces the cursor. */
    private LogFeed feed;
    /** What is sent next: the cursor's events, or the feed's with the unstored ones between. */
    private volatile EventSource source;

    SubscriptionSession(ServerCallStreamObserver<byte[]> observer, boolean batched, TopicFilter filter,
                        ProtobusService service) {
        this.observer = observer;
        this.filter = filter;
        this.service = service;
        this.drainer = new Drainer(service.executor(), this::drain);
        this.encoder = batched ? new BatchEncoder(BATCH_BYTES) : null;
    }

    /**
     * Called in the method handler: registers, takes the snapshot and opens the cursor. When the
     * log cannot be read for that, the session leaves the registry and the call ends with
     * INVALID_ARGUMENT (bad input) or UNAVAILABLE (the store failed).
     *
     * @param historyDepth  stored events per matching topic before the live ones
     * @param afterPosition resume after this position (0: not set)
     * @param sinceNanos    start at this receive time (negative: not set)
     * @param resumeToken   continue after the event that carried it (null: not set)
     */
    void start(int historyDepth, long afterPosition, long sinceNanos, byte[] resumeToken) {
        observer.setOnReadyThreshold(TRANSPORT_BYTES);
        observer.setOnReadyHandler(drainer::wake);
        observer.setOnCancelHandler(() -> {
            cancelled = true;
            drainer.wake();
        });
        // Registered with the snapshot: unstored events after it are queued from now on.
        long snapshot = service.registry().add(this);
        this.snapshot = snapshot;
        try {
            feed = service.log().openFeed(filter, new FeedStart(historyDepth, afterPosition, sinceNanos, resumeToken));
            if (feed != null) {
                feed.onData(this::onAppend);
                source = EventSource.ofFeed(feed, unstored);
                started = true;
                drainer.wake();
                return;
            }
            SubscriptionStart start = SubscriptionStart.open(service.log(), filter, historyDepth, afterPosition,
                    sinceNanos, snapshot);
            RecentEvents ring = service.registry().recent();
            SessionRegistry registry = service.registry();
            cursor = new SubscriptionCursor(service.log(), ring, registry::announcedPosition, unstored, filter, start);
            source = EventSource.ofArrays(cursor::next);
        } catch (TailbusException e) {
            // No drain runs before started is set: finishing here is safe.
            finish((e.kind() == TailbusException.Kind.BAD_INPUT ? Status.INVALID_ARGUMENT : Status.UNAVAILABLE)
                    .withDescription("cannot start the subscription: " + e.getMessage()));
            return;
        } catch (RuntimeException e) {
            finish(Status.INTERNAL.withDescription("cannot start the subscription: " + e));
            return;
        }
        started = true;
        drainer.wake();
    }

    /** From the registry or the log's feed: more events are announced; a waiting session is woken on the pool. */
    void onAppend() {
        if (claimWake()) {
            drainer.wake();
        }
    }

    /**
     * From the registry: more events are announced, and the caller will send them itself
     * ({@link #drainHere}) if this session was waiting.
     *
     * @return whether it was waiting (and is now claimed by the caller)
     */
    boolean claimWake() {
        if (!waiting) {
            return false;
        }
        waiting = false;
        return true;
    }

    /** After {@link #claimWake} returned true: sends on the calling worker thread, or on the pool if a run is due. */
    void drainHere() {
        drainer.wakeHere();
    }

    /** From the registry, in position order: an event that no pattern stores; queued if it matches. */
    void offerUnstored(AppendedEvent event) {
        if (filter.test(event.topic()) && !unstored.offer(event) && ending == null) {
            ending = Status.RESOURCE_EXHAUSTED.withDescription("subscriber fell behind by more than "
                    + (UNSTORED_LIMIT >> 20) + " MiB of events of topics that no store pattern keeps (such as '"
                    + unstored.overflowTopic() + "'); those events are lost, the subscription ends");
            drainer.wake();
        }
    }

    /** The server stops: end the stream cleanly. */
    void shutdown() {
        if (ending == null) {
            ending = Status.OK;
        }
        drainer.wake();
    }

    private boolean drain() {
        if (finished || !started) {
            return true;
        }
        try {
            if (cancelled) {
                finish(null);
                return true;
            }
            Status end = ending;
            if (end != null) {
                finish(end);
                return true;
            }
            int sent = 0;
            while (observer.isReady()) {
                if (sent >= EVENTS_PER_RUN) {
                    return false;
                }
                byte[] message = take();
                if (message == null) {
                    waiting = true; // before looking again, so that no announcement slips between the two
                    message = take();
                    if (message == null) {
                        return true;
                    }
                    waiting = false;
                }
                observer.onNext(message);
                sent += encoder == null ? 1 : counted[0];
            }
            return true;
        } catch (TailbusException e) {
            finish(Status.UNAVAILABLE.withDescription("cannot read the log: " + e.getMessage()));
            return true;
        } catch (RuntimeException e) {
            finish(Status.INTERNAL.withDescription("subscription failed: " + e));
            return true;
        }
    }

    /**
     * The position up to which the log has been looked through (sent, or skipped as not
     * matching), for tests and {@link #lag}; read from any thread, so possibly a little stale.
     * During the history it is the snapshot position; 0 before the cursor is opened.
     */
    long position() {
        SubscriptionCursor c = cursor;
        return c == null ? 0 : c.positionFromAnyThread();
    }

    /**
     * How many positions this subscription is behind {@code last} (the log's last position), for
     * the lag a metrics exporter shows; read from any thread, so from a recent state. Counted
     * from the first event after {@link #position()} that it would receive, so that one that has
     * every event it matches is not behind, however many events of other topics follow (a
     * subscriber of a rare topic whose client reads slowly, so that its cursor stands still). The
     * ring of recent events tells which topics follow; where it does not hold them (a
     * subscription reading the log, a position from before the server started) every position
     * after {@link #position()} counts, as during the history, which counts from the snapshot.
     * Always 0 on a cluster's log.
     */
    long lag(long last) {
        if (service.log().appendsRemotely()) {
            return 0; // a cluster's log, read through its own feeds: its positions have no one order
        }
        SubscriptionCursor c = cursor;
        long looked = c == null ? snapshot : c.positionFromAnyThread(); // no cursor yet: starting
        EventSource s = source;
        if (c != null && s != null && s.holdsOne() && !c.inHistoryFromAnyThread()) {
            // the cursor stands on an event it handed out that waits for the next batch message
            return Math.max(0, last - (looked - 1));
        }
        if (looked >= last) {
            return 0;
        }
        if (c == null || c.inHistoryFromAnyThread()) {
            return last - looked;
        }
        RecentEvents ring = service.registry().recent();
        long announced = Math.min(last, service.registry().announcedPosition());
        for (long p = looked + 1; p <= announced; p++) {
            RecentEvents.Entry e = ring.at(p);
            if (e == null) {
                return last - looked; // not in the ring (any more): cannot tell what follows
            }
            if (filter.test(e.topic())) {
                return last - (p - 1);
            }
        }
        return last - Math.max(looked, announced); // only what is not announced yet
    }

    /** The next message to send: one event, or a batch of them; null when nothing is due. */
    private byte[] take() {
        return encoder == null ? source.next() : encoder.encode(source, counted);
    }

    private void finish(Status status) {
        finished = true;
        service.registry().remove(this);
        if (cursor != null) {
            cursor.close();
        }
        if (feed != null) {
            feed.close();
        }
        if (cancelled || status == null) {
            return;
        }
        try {
            if (status.isOk()) {
                observer.onCompleted();
            } else {
                observer.onError(status.asRuntimeException());
            }
        } catch (IllegalStateException e) {
            // cancelled meanwhile: nobody to tell
        }
    }
}
