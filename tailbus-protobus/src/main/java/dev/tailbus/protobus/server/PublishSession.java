package dev.tailbus.protobus.server;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.tailbus.core.TailbusException;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.protobus.proto.Code;
import dev.tailbus.protobus.proto.EventBatch;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One publishing stream ({@code Publish} or {@code PublishBatch}): stamps each event as it
 * arrives, and appends what has arrived to the log in batches, in arrival order, on the shared
 * executor. Events are appended before anyone sees them; the answer {@code Status} OK goes out
 * when the client ended the stream and every event was appended.
 *
 * <p>Memory is bounded through gRPC flow control: the session asks the client for more messages
 * only while less than {@link #PENDING_LIMIT} bytes wait to be appended or are being appended.
 *
 * <p>A bad event ends the stream with its status; the events before it are kept. A client that
 * goes away mid-stream keeps every event that fully arrived.
 *
 * <p>A {@code PublishBatch} call whose batch sets {@code return_positions} is answered with the
 * positions of all its events (as the HTTP face needs); other calls collect none.
 *
 * <p>Threading: gRPC calls the {@link StreamObserver} methods one at a time; the {@link Drainer}
 * runs the appends and the answer one at a time; the two meet under {@code lock}.
 */
final class PublishSession implements StreamObserver<byte[]> {
    /**
     * Messages asked for ahead of time. Few: the appends run beside the receiving thread, so
     * every message asked for may arrive before the first append ends (a message may be a batch
     * of a megabyte); what is not asked for stays in the sender's TCP window.
     */
    private static final int WINDOW = 16;
    /** Stamped bytes waiting for the log above which no more messages are asked for. */
    private static final long PENDING_LIMIT = 8L << 20;
    /** A message arriving this long after the previous one was handled is appended at once, here. */
    private static final long PAUSE_NANOS = 20_000;

    private final ServerCallStreamObserver<dev.tailbus.protobus.proto.Status> response;
    private final boolean batched;
    private final ProtobusService service;
    private final Drainer drainer;
    /** The caller's rights: the session is made in the call's handler, where the gate put them. */
    private final AccessRights rights = AccessRights.current();
    /** The last topic the rights allowed: a stream's events mostly share a topic (onNext runs one at a time). */
    private String allowedTopic;

    private final Object lock = new Object();
    private List<EventToAppend> pending = new ArrayList<>();
    private long pendingBytes;
    /** Bytes of the batch a drain is appending now: they count against the limit too. */
    private long appendingBytes;
    private int owed;
    private boolean clientCompleted;
    private boolean clientGone;
    private boolean shuttingDown;
    private Status failure;
    private boolean ended;
    /** When the previous message was handled (gRPC calls {@link #onNext} one at a time). */
    private long lastMessageEnd;
    /** Set by a batch asking for the positions; then every appended position is kept. */
    private volatile boolean returnPositions;
    private long[] positions = new long[0];
    private int positionCount;

    PublishSession(ServerCallStreamObserver<dev.tailbus.protobus.proto.Status> response, boolean batched,
                   ProtobusService service) {
        this.response = response;
        this.batched = batched;
        this.service = service;
        this.drainer = new Drainer(service.executor(), this::drain);
    }

    /** Called in the method handler: takes over flow control and registers. */
    void start() {
        response.disableAutoRequest();
        response.setOnCancelHandler(() -> {
            synchronized (lock) {
                clientGone = true;
            }
            drainer.wake();
        });
        service.registry().add(this);
        response.request(WINDOW);
    }

    @Override
    public void onNext(byte[] message) {
        long now = service.nowNanos();
        List<EventToAppend> events = new ArrayList<>();
        Status bad = batched ? stampBatch(message, now, events) : stampOne(message, now, events);
        boolean askForMore;
        synchronized (lock) {
            if (failure != null || ended) {
                return;
            }
            // The good events before a bad one are kept, as in a stream of single events.
            pending.addAll(events);
            for (EventToAppend e : events) {
                pendingBytes += e.event().length;
            }
            askForMore = bad == null && pendingBytes + appendingBytes < PENDING_LIMIT;
            if (bad == null && !askForMore) {
                owed++;
            }
        }
        if (bad != null) {
            fail(bad);
            return;
        }
        if (askForMore) {
            response.request(1);
        }
        // gRPC hands a burst of messages to this thread one by one: appending each here would
        // make every message its own append (a write and an announcement each). So a message
        // that follows the previous one closely is left to a drain on another worker, which
        // takes everything that arrived meanwhile; one after a pause is appended here at once,
        // sparing a thread hand-off (the lowest latency when the rate is low). A log that waits
        // on the network always appends on the pool, so that receiving goes on.
        boolean afterPause = System.nanoTime() - lastMessageEnd > PAUSE_NANOS;
        if (afterPause && !service.log().appendsRemotely()) {
            drainer.wakeHere();
        } else {
            drainer.wake();
        }
        lastMessageEnd = System.nanoTime();
    }

    /** Stamps one event into {@code into}; returns the status of a bad event, else null. */
    private Status stampOne(byte[] event, long now, List<EventToAppend> into) {
        try {
            EventToAppend stamped = service.stamper().stamp(event, now);
            if (!stamped.topic().equals(allowedTopic)) {
                if (!rights.mayPublish(stamped.topic())) {
                    return Status.PERMISSION_DENIED.withDescription("this access token may not publish to topic '"
                            + stamped.topic() + "'");
                }
                allowedTopic = stamped.topic();
            }
            into.add(stamped);
            return null;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    /**
     * Stamps the events of an {@code EventBatch} into {@code into} in order, up to the first bad
     * one; returns that one's status (or INVALID_ARGUMENT for a malformed batch), else null.
     */
    private Status stampBatch(byte[] message, long now, List<EventToAppend> into) {
        int index = 0;
        try {
            CodedInputStream in = CodedInputStream.newInstance(message);
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return null;
                }
                if (WireFormat.getTagFieldNumber(tag) == EventBatch.EVENTS_FIELD_NUMBER
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    Status bad = stampOne(in.readByteArray(), now, into);
                    if (bad != null) {
                        return bad.withDescription("event " + index + " of the batch: " + bad.getDescription());
                    }
                    index++;
                } else if (WireFormat.getTagFieldNumber(tag) == EventBatch.RETURN_POSITIONS_FIELD_NUMBER
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
                    if (in.readBool()) {
                        returnPositions = true;
                    }
                } else {
                    in.skipField(tag);
                }
            }
        } catch (IOException e) {
            return Status.INVALID_ARGUMENT.withDescription("not a valid EventBatch (after " + index + " events): "
                    + e.getMessage());
        }
    }

    @Override
    public void onError(Throwable t) {
        synchronized (lock) {
            clientGone = true;
        }
        drainer.wake();
    }

    @Override
    public void onCompleted() {
        synchronized (lock) {
            clientCompleted = true;
        }
        drainer.wake();
    }

    /** Ends the stream: bad input seen; the events before it are still appended. */
    private void fail(Status status) {
        synchronized (lock) {
            if (failure == null) {
                failure = status;
            }
        }
        drainer.wake();
    }

    /** The server stops: append what arrived, then tell the client. */
    void shutdown() {
        synchronized (lock) {
            shuttingDown = true;
        }
        drainer.wake();
    }

    private boolean drain() {
        List<EventToAppend> batch;
        int more;
        synchronized (lock) {
            if (ended) {
                return true;
            }
            batch = pending;
            pending = new ArrayList<>();
            appendingBytes = pendingBytes;
            pendingBytes = 0;
            more = owed;
            owed = 0;
        }
        if (!batch.isEmpty()) {
            try {
                List<AppendedEvent> appended = service.append(batch);
                if (returnPositions) {
                    keepPositions(appended);
                }
            } catch (TailbusException e) {
                synchronized (lock) {
                    failure = (e.kind() == TailbusException.Kind.EXHAUSTED ? Status.RESOURCE_EXHAUSTED
                            : Status.UNAVAILABLE).withDescription("cannot store events: " + e.getMessage());
                    pending.clear();
                }
            }
        }
        Status end;
        boolean gone;
        synchronized (lock) {
            appendingBytes = 0;
            if (!pending.isEmpty()) {
                owed += more;
                return false; // more arrived meanwhile: go on after others had their turn
            }
            if (failure == null && !clientCompleted && !clientGone && !shuttingDown) {
                if (more > 0) {
                    response.request(more);
                }
                return true;
            }
            ended = true;
            gone = clientGone;
            end = failure != null ? failure
                    : clientCompleted ? Status.OK
                    : Status.UNAVAILABLE.withDescription("the server is shutting down; the events received were stored");
        }
        service.registry().remove(this);
        if (!gone) {
            try {
                if (end.isOk()) {
                    dev.tailbus.protobus.proto.Status.Builder ok = dev.tailbus.protobus.proto.Status.newBuilder()
                            .setCode(Code.OK_VALUE).setMessage("OK");
                    for (int i = 0; i < positionCount; i++) {
                        ok.addPositions(positions[i]);
                    }
                    response.onNext(ok.build());
                    response.onCompleted();
                } else {
                    response.onError(end.asRuntimeException());
                }
            } catch (IllegalStateException | StatusRuntimeException e) {
                // the call was cancelled meanwhile: nobody to tell
            }
        }
        return true;
    }

    /** Called only from the drain, one at a time. */
    private void keepPositions(List<AppendedEvent> appended) {
        if (positionCount + appended.size() > positions.length) {
            positions = java.util.Arrays.copyOf(positions, Math.max(16, 2 * (positionCount + appended.size())));
        }
        for (AppendedEvent e : appended) {
            positions[positionCount++] = e.position();
        }
    }

    /** Whether the session has answered and left. */
    boolean ended() {
        synchronized (lock) {
            return ended;
        }
    }
}
