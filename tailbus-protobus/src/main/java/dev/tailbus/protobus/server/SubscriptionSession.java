package dev.tailbus.protobus.server;

import com.google.protobuf.CodedOutputStream;
import dev.tailbus.core.TailbusException;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.LogReader;
import dev.tailbus.core.log.StoredEvent;
import dev.tailbus.core.log.TopicStats;
import dev.tailbus.protobus.proto.EventBatch;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One subscriber ({@code Subscribe} or {@code SubscribeBatch}): a cursor on the log. It sends
 * the history (the last stored events per matching topic up to a snapshot position), then reads
 * the log after that position for ever, so that the boundary between history and live events has
 * no gap and no duplicate by construction, and a subscriber that falls behind simply reads older
 * parts of the log: nothing is queued for it but the events of topics no pattern stores, at most
 * {@link #UNSTORED_LIMIT} bytes of them, beyond which it is ended with RESOURCE_EXHAUSTED.
 *
 * <p>Sending follows gRPC flow control: events are read only while the transport is ready, so
 * the memory of a subscription is about one transport window ({@link #TRANSPORT_BYTES}). Woken by the log after each append, by
 * the transport when ready again, by an unstored event.
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

    /** Reads {@link #cursor} whole from other threads (written only by drains). */
    private static final VarHandle CURSOR;

    static {
        try {
            CURSOR = MethodHandles.lookup().findVarHandle(SubscriptionSession.class, "cursor", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final ServerCallStreamObserver<byte[]> observer;
    private final boolean batched;
    private final TopicFilter filter;
    private final ProtobusService service;
    private final Drainer drainer;
    private final ConcurrentLinkedQueue<byte[]> unstored = new ConcurrentLinkedQueue<>();
    private final AtomicLong unstoredBytes = new AtomicLong();

    private volatile boolean started;
    private volatile boolean waiting;
    private volatile boolean cancelled;
    private volatile Status ending;
    private boolean finished;
    private Iterator<StoredEvent> history;
    /** The position of the last stored event considered: the live cursor. */
    private long cursor;
    /** A log reader positioned at {@link #cursor}, or null. */
    private LogReader reader;
    private byte[] carried;

    SubscriptionSession(ServerCallStreamObserver<byte[]> observer, boolean batched, TopicFilter filter,
                        ProtobusService service) {
        this.observer = observer;
        this.batched = batched;
        this.filter = filter;
        this.service = service;
        this.drainer = new Drainer(service.executor(), this::drain);
    }

    /**
     * Called in the method handler: registers, takes the snapshot and opens the cursor. When the
     * log cannot be read for that, the session leaves the registry and the call ends with
     * INVALID_ARGUMENT (bad input) or UNAVAILABLE (the store failed).
     *
     * @param historyDepth  stored events per matching topic before the live ones
     * @param afterPosition resume after this position (0: not set)
     * @param sinceNanos    start at this receive time (negative: not set)
     */
    void start(int historyDepth, long afterPosition, long sinceNanos) {
        observer.setOnReadyThreshold(TRANSPORT_BYTES);
        observer.setOnReadyHandler(drainer::wake);
        observer.setOnCancelHandler(() -> {
            cancelled = true;
            drainer.wake();
        });
        // Registered before the snapshot: unstored events from now on are queued.
        service.registry().add(this);
        try {
            openCursor(historyDepth, afterPosition, sinceNanos);
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

    private void openCursor(int historyDepth, long afterPosition, long sinceNanos) {
        long snapshot = service.registry().visiblePosition();
        if (afterPosition > 0) {
            cursor = afterPosition;
        } else if (sinceNanos >= 0) {
            // Everything stored from that time on: the first such event fixes the cursor; with none,
            // every event after the snapshot (taken before looking) is newer.
            reader = service.log().readFromTime(filter, sinceNanos);
            StoredEvent first = reader.next();
            if (first == null) {
                reader.close();
                reader = null;
                cursor = snapshot;
            } else {
                carried = first.event();
                cursor = first.position();
            }
        } else if (historyDepth > 0) {
            long start = wholeTopicsStart(historyDepth);
            if (start >= 0) {
                cursor = start; // history is every stored event of the matching topics: stream it
            } else {
                history = service.log().lastPerTopic(filter, historyDepth, snapshot).toList().iterator();
                cursor = snapshot;
            }
        } else {
            cursor = snapshot;
        }
    }

    /**
     * When every matching topic holds at most {@code depth} stored events, the history is all of
     * them: then it is read from the log as a stream, starting before the first of them (the
     * returned position), with bounded memory and no separate history phase. Else -1, and the
     * history comes from {@code lastPerTopic}.
     */
    private long wholeTopicsStart(int depth) {
        long first = Long.MAX_VALUE;
        for (TopicStats t : service.log().topics()) {
            if (filter.test(t.topic())) {
                if (t.events() > depth) {
                    return -1;
                }
                first = Math.min(first, t.firstPosition());
            }
        }
        return first == Long.MAX_VALUE ? -1 : first - 1;
    }

    /**
     * The position up to which the log has been looked through (sent, or skipped as not
     * matching), for the lag a metrics exporter shows; read from any thread, so possibly a
     * little stale. During the history it is the snapshot position.
     */
    long position() {
        return (long) CURSOR.getOpaque(this);
    }

    /** From the registry: the log has news. */
    void onAppend() {
        if (waiting) {
            waiting = false;
            drainer.wake();
        }
    }

    /** From a publisher: an event no pattern stores; queued if it matches. */
    void offerUnstored(AppendedEvent event) {
        if (!filter.test(event.topic())) {
            return;
        }
        if (unstoredBytes.addAndGet(event.event().length) > UNSTORED_LIMIT) {
            if (ending == null) {
                ending = Status.RESOURCE_EXHAUSTED.withDescription("subscriber fell behind by more than "
                        + (UNSTORED_LIMIT >> 20) + " MiB of events of topics that no store pattern keeps (such as '"
                        + event.topic() + "'); those events are lost, the subscription ends");
            }
        } else {
            unstored.add(event.event());
        }
        waiting = false;
        drainer.wake();
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
                byte[] first = nextOrWait();
                if (first == null) {
                    return true;
                }
                if (batched) {
                    sent += sendBatch(first);
                } else {
                    observer.onNext(first);
                    sent++;
                }
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

    /** The next event, or null after arranging to be woken when there is one. */
    private byte[] nextOrWait() {
        byte[] next = next();
        if (next == null) {
            waiting = true; // before looking again, so that no news slips between the two
            next = next();
            if (next != null) {
                waiting = false;
            }
        }
        return next;
    }

    private byte[] next() {
        if (carried != null) {
            byte[] c = carried;
            carried = null;
            return c;
        }
        if (history != null) {
            if (history.hasNext()) {
                return history.next().event();
            }
            history = null;
        }
        byte[] live = unstored.poll();
        if (live != null) {
            unstoredBytes.addAndGet(-live.length);
            return live;
        }
        return nextStored();
    }

    /**
     * The next stored event after the cursor whose topic matches: from the ring of recent events
     * while it holds the next positions, else from the log.
     */
    private byte[] nextStored() {
        RecentEvents recent = service.registry().recent();
        long visible = service.registry().visiblePosition();
        while (cursor < visible) {
            RecentEvents.Entry e = recent.at(cursor + 1);
            if (e == null) {
                break;
            }
            cursor++;
            if (reader != null) {
                reader.close(); // it stands before the cursor now
                reader = null;
            }
            if (e.event() != null && filter.test(e.topic())) {
                return e.event();
            }
        }
        if (cursor >= visible) {
            return null;
        }
        if (reader == null) {
            reader = service.log().readAfter(filter, cursor);
        }
        StoredEvent stored = reader.next();
        if (stored == null) {
            return null;
        }
        cursor = stored.position();
        // Back to the ring when it holds what follows; the reader is reopened if needed later.
        if (recent.at(cursor + 1) != null) {
            reader.close();
            reader = null;
        }
        return stored.event();
    }

    /** Sends one EventBatch message starting with {@code first}; returns the events in it. */
    private int sendBatch(byte[] first) {
        int field = EventBatch.EVENTS_FIELD_NUMBER;
        byte[] buffer = new byte[Math.max(BATCH_BYTES, CodedOutputStream.computeByteArraySize(field, first))];
        CodedOutputStream out = CodedOutputStream.newInstance(buffer);
        int count = 0;
        byte[] event = first;
        try {
            while (event != null) {
                if (count > 0 && CodedOutputStream.computeByteArraySize(field, event) > out.spaceLeft()) {
                    carried = event; // first of the next message
                    break;
                }
                out.writeByteArray(field, event);
                count++;
                event = next();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int length = out.getTotalBytesWritten();
        observer.onNext(length == buffer.length ? buffer : java.util.Arrays.copyOf(buffer, length));
        return count;
    }

    private void finish(Status status) {
        finished = true;
        service.registry().remove(this);
        if (reader != null) {
            reader.close();
            reader = null;
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
