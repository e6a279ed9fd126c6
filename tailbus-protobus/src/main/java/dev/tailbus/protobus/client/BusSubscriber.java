package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.protobus.server.ProtobusException;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Subscribes to the topics matching some patterns on a protobus server: stored events first (a
 * history depth, after a position or since a time), then live ones, taken one by one
 * ({@link #take()}, {@link #poll(Duration)}, {@link #iterator()}) or handed to a callback
 * ({@link Builder#start(Consumer)}).
 *
 * <pre>{@code
 * try (BusSubscriber subscriber = BusSubscriber.builder("localhost:42000").topics("sensors/").history(10).build()) {
 *     for (BusEvent e : subscriber) {
 *         System.out.println(e.position() + " " + e.topic());
 *     }
 * }
 * }</pre>
 *
 * <p><b>Reconnecting.</b> When the call ends because the server went away (UNAVAILABLE, or a
 * clean end at the server's shutdown), the subscriber calls again with {@code after_position} =
 * the last position it received, after a backoff (50 ms doubling up to 2 s), until
 * {@link Builder#reconnectFor} has passed without a working call; since positions only grow and
 * the server sends them in order, the events continue without loss or repetition. A live-only
 * subscription learns the log's last position when it starts (from the admin service), so it
 * resumes exactly even before its first event; a history subscription that dropped before its
 * first event asks for the same history again.
 *
 * <p>Design note: gRPC flow control bounds the memory: the subscriber asks the server for at most
 * {@link Builder#capacity} events beyond those taken, so a slow consumer slows the server's
 * sending for this subscription only. Thread-safe; one consumer at a time.
 */
public final class BusSubscriber implements AutoCloseable, Iterable<BusEvent> {
    /** How long a call must have stayed open to count as working (ends an outage). */
    private static final long HEALTHY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long FIRST_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = 2000;

    private final String target;
    private final Channel channel;
    private final ManagedChannel owned;
    private final List<String> topics;
    private final int history;
    private final long after;
    private final Instant since;
    private final Duration reconnectFor;
    private final int capacity;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final ScheduledExecutorService timer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    /** Positive: the log's last position at the start of a live-only subscription; -1: unknown. */
    private final long watermark;
    /** A log without one order of positions (Kafka): the start of a live-only subscription. */
    private final byte[] watermarkToken;
    /** Given by the caller: continue after the event that carried it; null: not set. */
    private final byte[] startToken;
    private volatile long lastPosition;
    /** The resume token of the last event received, where the next call continues; null: none. */
    private volatile byte[] lastToken;
    /** The resume token of the last event taken. */
    private volatile byte[] takenToken;
    private volatile CallObserver current;
    private volatile long outageStart = -1;
    private int attempt;
    private long reconnects;
    private Thread dispatcher;
    private boolean ended;

    /** The end of the stream in the queue: null cause for a clean end. */
    private record End(ProtobusException cause) {
    }

    /** An event in the queue with the resume token it carried. */
    private record Tokened(BusEvent event, byte[] token) {
    }

    private BusSubscriber(Builder b) {
        this.owned = b.channel == null ? BusConnections.open(b.address, b.credentials) : null;
        this.channel = owned != null ? owned : b.channel;
        this.target = b.address != null ? b.address : channel.authority();
        this.topics = List.copyOf(b.topics);
        this.history = b.history;
        this.after = b.after;
        this.since = b.since;
        this.reconnectFor = b.reconnectFor;
        this.capacity = b.capacity;
        this.startToken = b.resumeToken;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tailbus-subscriber-reconnect");
            t.setDaemon(true);
            return t;
        });
        long mark = -1;
        byte[] markToken = null;
        try {
            // Checks the server and the patterns before anything is subscribed, and learns the
            // position a live-only subscription starts after.
            ListTopicsResponse answer = BusAdmin.listTopics(channel, target, topics, b.connectTimeout);
            mark = answer.getLastPosition();
            markToken = answer.getResumeToken().isEmpty() ? null : answer.getResumeToken().toByteArray();
        } catch (ProtobusException e) {
            if (Status.fromThrowable(e.getCause()).getCode() != Status.Code.UNIMPLEMENTED) {
                shutdown();
                throw e.kind() == Kind.BAD_INPUT ? new ProtobusException(Kind.BAD_INPUT,
                        "cannot subscribe: " + Status.fromThrowable(e.getCause()).getDescription(), e.getCause())
                        : new ProtobusException(e.kind(), e.getMessage().replace("list topics", "subscribe"), e.getCause());
            }
            // a server without the admin service (the reference): resume from the first event on
        }
        this.watermark = mark;
        this.watermarkToken = markToken;
        subscribe();
    }

    /** A subscriber to the server at {@code address} ({@code HOST:PORT}), on a channel of its own. */
    public static Builder builder(String address) {
        return new Builder(address, null);
    }

    /** A subscriber on a caller's channel (which {@link #close()} leaves open). */
    public static Builder builder(Channel channel) {
        return new Builder(null, channel);
    }

    /**
     * The next event, waiting for it; null once the subscription has ended cleanly (closed, or the
     * server ended it and no reconnect was allowed).
     *
     * @throws ProtobusException when the subscription failed (a refused request, or the server
     *                           stayed unreachable longer than the reconnect limit)
     */
    public BusEvent take() throws InterruptedException {
        return poll(null);
    }

    /**
     * As {@link #take()}, waiting at most {@code timeout} (null: no limit); null also when nothing
     * came within it ({@link #isEnded()} tells the two apart).
     */
    public BusEvent poll(Duration timeout) throws InterruptedException {
        synchronized (queue) {
            if (ended) {
                return null;
            }
        }
        Object item = timeout == null ? queue.take() : queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (item == null) {
            return null;
        }
        if (item instanceof End end) {
            synchronized (queue) {
                ended = true;
            }
            queue.add(end); // every later call sees the end too
            if (end.cause() != null) {
                throw end.cause();
            }
            return null;
        }
        CallObserver call = current;
        if (call != null) {
            call.request(1);
        }
        if (item instanceof Tokened t) {
            takenToken = t.token();
            return t.event();
        }
        return (BusEvent) item;
    }

    /** Whether the subscription has ended and every event before the end was taken. */
    public boolean isEnded() {
        synchronized (queue) {
            return ended;
        }
    }

    /**
     * The events until the subscription ends; {@code hasNext} waits. A failure surfaces as a
     * {@link ProtobusException} from {@code hasNext}; an interrupt ends the iteration.
     */
    @Override
    public Iterator<BusEvent> iterator() {
        return new Iterator<>() {
            private BusEvent next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    try {
                        next = take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return next != null;
            }

            @Override
            public BusEvent next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                BusEvent e = next;
                next = null;
                return e;
            }
        };
    }

    /** The position of the last event received (0 if none yet): where a later subscription can resume. */
    public long lastPosition() {
        return lastPosition;
    }

    /**
     * On a server whose log has no single order of positions (protobus-server on Kafka): the
     * resume token of the last event taken, which {@link Builder#resumeToken} takes to continue
     * after it exactly, through any server on the same log; null on a server of files (use
     * {@link #lastPosition()}) or before the first event.
     */
    public byte[] resumeToken() {
        byte[] t = takenToken;
        return t == null ? null : t.clone();
    }

    /** How often the subscriber has called again after losing the server. */
    public synchronized long reconnects() {
        return reconnects;
    }

    /**
     * Completes when a callback subscription ({@link Builder#start}) has delivered its last event:
     * normally after {@link #close()} or a clean end, exceptionally with a
     * {@link ProtobusException} on failure.
     */
    public CompletableFuture<Void> done() {
        return done;
    }

    /** Cancels the call, stops the callback thread, closes an own channel. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CallObserver call = current;
        if (call != null) {
            call.cancel();
        }
        queue.add(new End(null));
        Thread d = dispatcher;
        if (d != null && d != Thread.currentThread()) {
            d.interrupt();
            try {
                d.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        shutdown();
        done.complete(null);
    }

    private void shutdown() {
        timer.shutdownNow();
        if (owned != null) {
            BusConnections.close(owned);
        }
    }

    private void startDispatcher(Consumer<BusEvent> handler) {
        Thread t = new Thread(() -> {
            try {
                BusEvent e;
                while ((e = take()) != null) {
                    handler.accept(e);
                }
                done.complete(null);
            } catch (InterruptedException e) {
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        }, "tailbus-subscriber");
        t.setDaemon(true);
        dispatcher = t;
        t.start();
    }

    /** The request for the next call: resume after what was received, else the chosen start. */
    SubscriptionRequest request() {
        SubscriptionOptions.Builder o = SubscriptionOptions.newBuilder();
        long seen = lastPosition;
        byte[] token = lastToken;
        if (token != null) {
            o.setResumeToken(com.google.protobuf.ByteString.copyFrom(token));
        } else if (startToken != null) {
            o.setResumeToken(com.google.protobuf.ByteString.copyFrom(startToken));
        } else if (seen > 0) {
            o.setAfterPosition(seen);
        } else if (after > 0) {
            o.setAfterPosition(after);
        } else if (since != null) {
            o.setSinceTime(BusEvent.timestamp(since));
        } else if (history == 0 && watermarkToken != null) {
            o.setResumeToken(com.google.protobuf.ByteString.copyFrom(watermarkToken));
        } else if (history == 0 && watermark > 0) {
            o.setAfterPosition(watermark);
        } else if (history == 0 && watermark == 0) {
            o.setSinceTime(BusEvent.timestamp(Instant.EPOCH)); // the log was empty: all of it is new
        } else {
            o.setHistoryDepth(history);
        }
        return SubscriptionRequest.newBuilder().addAllTopics(topics).setOptions(o).build();
    }

    private void subscribe() {
        if (closed.get()) {
            return;
        }
        CallObserver call = new CallObserver();
        current = call;
        ProtobusServiceGrpc.newStub(channel).subscribe(request(), call);
    }

    private synchronized void callEnded(CallObserver call, Status status) {
        if (call != current || closed.get()) {
            return;
        }
        long now = System.nanoTime();
        Status.Code code = status.getCode();
        boolean retryable = code == Status.Code.OK || code == Status.Code.UNAVAILABLE
                || code == Status.Code.CANCELLED || code == Status.Code.ABORTED
                || code == Status.Code.DEADLINE_EXCEEDED;
        if (!retryable || reconnectFor.isZero()) {
            current = null;
            queue.add(new End(code == Status.Code.OK ? null
                    : BusConnections.failure("subscribe to " + String.join(", ", topics), target, status.asRuntimeException())));
            return;
        }
        if (call.healthy || now - call.startNanos >= HEALTHY_NANOS || outageStart < 0) {
            outageStart = now;
            attempt = 0;
        }
        if (now - outageStart > reconnectFor.toNanos()) {
            current = null;
            queue.add(new End(new ProtobusException(Kind.UNAVAILABLE, "subscription lost: server " + target
                    + " unreachable for more than " + reconnectFor.toSeconds() + " s (" + code + ")")));
            return;
        }
        long delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt, 10));
        attempt++;
        reconnects++;
        try {
            timer.schedule(this::subscribe, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** One Subscribe call's observer; ignored once a newer call replaced it. */
    private final class CallObserver implements ClientResponseObserver<SubscriptionRequest, EncapsulatedEvent> {
        final long startNanos = System.nanoTime();
        volatile boolean healthy;
        private volatile ClientCallStreamObserver<SubscriptionRequest> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscriptionRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(Math.max(0, capacity - queue.size()));
        }

        void request(int n) {
            ClientCallStreamObserver<SubscriptionRequest> c = call;
            if (c != null) {
                c.request(n);
            }
        }

        void cancel() {
            ClientCallStreamObserver<SubscriptionRequest> c = call;
            if (c != null) {
                c.cancel("subscriber closed", null);
            }
        }

        @Override
        public void onNext(EncapsulatedEvent value) {
            if (this != current) {
                return;
            }
            healthy = true;
            if (!value.getResumeToken().isEmpty()) {
                // a log without one order of positions: the token says where to continue
                byte[] token = value.getResumeToken().toByteArray();
                lastToken = token;
                lastPosition = value.getPosition();
                queue.add(new Tokened(BusEvent.fromProto(value), token));
                return;
            }
            long position = value.getPosition();
            if (position > 0) {
                if (position <= lastPosition) {
                    request(1); // already delivered (cannot happen with an ordered server; kept safe)
                    return;
                }
                lastPosition = position;
            }
            queue.add(BusEvent.fromProto(value));
        }

        @Override
        public void onError(Throwable t) {
            callEnded(this, Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            callEnded(this, Status.OK);
        }
    }

    /** The options of a {@link BusSubscriber}, checked when it starts. */
    public static final class Builder {
        private final String address;
        private final Channel channel;
        private List<String> topics = List.of();
        private int history;
        private long after;
        private Instant since;
        private Duration reconnectFor = Duration.ofSeconds(60);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private int capacity = 1024;
        private byte[] resumeToken;
        private BusCredentials credentials = BusCredentials.NONE;

        private Builder(String address, Channel channel) {
            this.address = address;
            this.channel = channel;
        }

        /**
         * TLS and the access token for the channel the builder opens (default
         * {@link BusCredentials#NONE}); a caller's channel brings its own.
         */
        public Builder credentials(BusCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The topic patterns (Python regular expressions matched at the topic's start); none: every topic. */
        public Builder topics(String... patterns) {
            return topics(List.of(patterns));
        }

        /** As {@link #topics(String...)}. */
        public Builder topics(List<String> patterns) {
            this.topics = List.copyOf(patterns);
            return this;
        }

        /** Start with the last {@code n} stored events of each matching topic (default 0: live only). */
        public Builder history(int n) {
            this.history = n;
            return this;
        }

        /** Start after this log position (every later stored event, then live ones); 0: not set. */
        public Builder after(long position) {
            this.after = position;
            return this;
        }

        /**
         * Continue after the event that carried this resume token ({@link BusSubscriber#resumeToken()}),
         * on a server whose log uses them (protobus-server on Kafka); null: not set. Takes
         * precedence over every other start.
         */
        public Builder resumeToken(byte[] token) {
            this.resumeToken = token == null || token.length == 0 ? null : token.clone();
            return this;
        }

        /** Start with the first stored event received at or after {@code time}. */
        public Builder since(Instant time) {
            this.since = time;
            return this;
        }

        /**
         * How long to keep calling again after losing the server before failing (default 60 s);
         * {@link Duration#ZERO} ends the subscription at the first loss.
         */
        public Builder reconnectFor(Duration limit) {
            this.reconnectFor = Objects.requireNonNull(limit);
            return this;
        }

        /** How long the first contact with the server may take (default 10 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Events received but not yet taken, at most (default 1024). */
        public Builder capacity(int n) {
            this.capacity = n;
            return this;
        }

        /**
         * Contacts the server and subscribes; events are then taken with {@link BusSubscriber#take()}.
         *
         * @throws ProtobusException bad input (an invalid option or pattern) or unavailable (the
         *                           server cannot be reached)
         */
        public BusSubscriber build() {
            check();
            return new BusSubscriber(this);
        }

        /**
         * Contacts the server and subscribes, handing each event to {@code handler} on a thread
         * of the subscriber, one at a time, in order; {@link BusSubscriber#done()} tells the end.
         */
        public BusSubscriber start(Consumer<BusEvent> handler) {
            Objects.requireNonNull(handler, "handler");
            BusSubscriber s = build();
            s.startDispatcher(handler);
            return s;
        }

        private void check() {
            if (history < 0) {
                throw new ProtobusException(Kind.BAD_INPUT, "history must not be negative, got " + history);
            }
            if (after < 0) {
                throw new ProtobusException(Kind.BAD_INPUT, "position must not be negative, got " + after);
            }
            if (since != null && since.isBefore(Instant.EPOCH)) {
                throw new ProtobusException(Kind.BAD_INPUT, "since must not be before 1970, got " + since);
            }
            if (capacity < 1) {
                throw new ProtobusException(Kind.BAD_INPUT, "capacity must be positive, got " + capacity);
            }
            if (reconnectFor.isNegative()) {
                throw new ProtobusException(Kind.BAD_INPUT, "reconnect limit must not be negative");
            }
        }
    }
}
