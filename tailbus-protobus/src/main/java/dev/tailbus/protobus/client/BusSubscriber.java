package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
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
 * <p><b>Every event once, in order.</b> The server sends each subscription's events in
 * increasing position order; every event received is delivered, and when the call ends because
 * the server went away (UNAVAILABLE, or a clean end at the server's shutdown) the subscriber
 * calls again after the last position it received ({@link ResumePoint}), after a back-off (50 ms
 * doubling up to 2 s, {@link Backoff}) until {@link Builder#reconnectFor} has passed without a
 * working call. A live-only subscription learns the log's last position at its first contact, so
 * it resumes exactly even before its first event; a history subscription that dropped before its
 * first event asks for the same history again. On a server whose log has no single order of
 * positions (protobus-server on Kafka) each event carries a resume token, and the subscriber
 * continues after the last one received instead ({@link #resumeToken()}).
 *
 * <p>Design note: the events come in {@code SubscribeBatch} messages (or {@code Subscribe} ones
 * from a server without it, such as the reference), handed over a message at a time
 * ({@link EventQueue}); gRPC flow control bounds the memory to about {@link Builder#capacity}
 * events beyond those taken ({@link SubscribeCall}). The first contact (the admin service's topic
 * list) checks the server and the patterns, so that a bad pattern or an unreachable server fails
 * at once, before any reconnecting. Thread-safe; one consumer at a time.
 */
public final class BusSubscriber implements AutoCloseable, Iterable<BusEvent> {
    private static final Duration HEALTHY = Duration.ofSeconds(1);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final String target;
    private final Channel channel;
    private final ManagedChannel owned;
    private final List<String> topics;
    private final Duration reconnectFor;
    private final int capacity;
    private final EventQueue queue = new EventQueue(this::consumed);
    private final ScheduledExecutorService timer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final ResumePoint resume;
    private final Backoff backoff;
    private final SubscribeCall.Listener listener = new Listener();

    private volatile SubscribeCall current;
    private volatile boolean batched = true;
    private long reconnects;
    private volatile Dispatcher dispatcher;

    private BusSubscriber(Builder b) {
        this.owned = b.channel == null ? BusConnections.open(b.address, b.credentials) : null;
        this.channel = owned != null ? owned : b.channel;
        this.target = b.address != null ? b.address : channel.authority();
        this.topics = List.copyOf(b.topics);
        this.reconnectFor = b.reconnectFor;
        this.capacity = b.capacity;
        this.backoff = new Backoff(FIRST_BACKOFF, MAX_BACKOFF, HEALTHY, reconnectFor, System::nanoTime);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tailbus-subscriber-reconnect");
            t.setDaemon(true);
            return t;
        });
        ListTopicsResponse first;
        try {
            first = BusAdmin.subscribeStart(channel, target, topics, b.connectTimeout);
        } catch (RuntimeException e) {
            shutdown();
            throw e;
        }
        long watermark = first == null ? -1 : first.getLastPosition();
        byte[] watermarkToken = first == null || first.getResumeToken().isEmpty() ? null
                : first.getResumeToken().toByteArray();
        this.resume = new ResumePoint(b.history, b.after, b.since, watermark, watermarkToken, b.resumeToken);
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
     * @throws BusException when the subscription failed (a refused request, or the server stayed
     *                      unreachable longer than the reconnect limit)
     */
    public BusEvent take() throws InterruptedException {
        return queue.poll(null);
    }

    /**
     * As {@link #take()}, waiting at most {@code timeout} (null: no limit); null also when nothing
     * came within it ({@link #isEnded()} tells the two apart).
     */
    public BusEvent poll(Duration timeout) throws InterruptedException {
        return queue.poll(timeout);
    }

    /** Whether the subscription has ended and every event before the end was taken. */
    public boolean isEnded() {
        return queue.isEnded();
    }

    /**
     * The events until the subscription ends; {@code hasNext} waits. A failure surfaces as a
     * {@link BusException} from {@code hasNext}; an interrupt ends the iteration.
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
        return resume.lastPosition();
    }

    /**
     * On a server whose log has no single order of positions (protobus-server on Kafka): the
     * resume token of the last event taken, which {@link Builder#resumeToken} takes to continue
     * after it exactly, through any server on the same log; null on a server of files (use
     * {@link #lastPosition()}) or before the first event.
     */
    public byte[] resumeToken() {
        byte[] t = queue.takenToken();
        return t == null ? null : t.clone();
    }

    /** How often the subscriber has called again after losing the server. */
    public synchronized long reconnects() {
        return reconnects;
    }

    /**
     * Completes when a callback subscription ({@link Builder#start}) has delivered its last event:
     * normally after {@link #close()} or a clean end, exceptionally with a {@link BusException}
     * on failure.
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
        SubscribeCall call = current;
        if (call != null) {
            call.cancel();
        }
        queue.end(null);
        Dispatcher d = dispatcher;
        if (d != null) {
            d.stop();
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

    /** The request of the next call. */
    SubscriptionRequest request() {
        return SubscriptionRequest.newBuilder().addAllTopics(topics).setOptions(resume.options()).build();
    }

    private void subscribe() {
        if (closed.get()) {
            return;
        }
        SubscribeCall call = new SubscribeCall(batched, capacity, queue::waiting, listener, backoff.now());
        current = call;
        call.start(channel, request());
    }

    private void consumed() {
        SubscribeCall call = current;
        if (call != null) {
            call.consumed();
        }
    }

    private synchronized void callEnded(SubscribeCall call, Status status) {
        if (call != current || closed.get()) {
            return;
        }
        Status.Code code = status.getCode();
        if (code == Status.Code.UNIMPLEMENTED && call.batched() && !call.worked()) {
            batched = false; // a server without SubscribeBatch (the reference): one event per message
            subscribe();
            return;
        }
        boolean retryable = code == Status.Code.OK || code == Status.Code.UNAVAILABLE
                || code == Status.Code.CANCELLED || code == Status.Code.ABORTED
                || code == Status.Code.DEADLINE_EXCEEDED;
        if (!retryable || reconnectFor.isZero()) {
            current = null;
            queue.end(code == Status.Code.OK ? null
                    : BusConnections.failure("subscribe to " + String.join(", ", topics), target, status.asRuntimeException()));
            return;
        }
        long delay = backoff.afterLoss(call.startedAt(), call.worked());
        if (delay == Backoff.GIVE_UP) {
            current = null;
            queue.end(new BusException(Kind.UNAVAILABLE, "subscription lost: server " + target
                    + " unreachable for more than " + reconnectFor.toSeconds() + " s (" + code + ")"));
            return;
        }
        reconnects++;
        try {
            timer.schedule(this::subscribe, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** What the current call hands over; a replaced call's news is ignored. */
    private final class Listener implements SubscribeCall.Listener {
        @Override
        public void received(SubscribeCall call, BusEvent[] events, byte[][] tokens) {
            if (call != current || events.length == 0) {
                return;
            }
            int last = events.length - 1;
            resume.received(events[last].position(), tokens == null ? null : tokens[last]);
            queue.add(events, tokens);
        }

        @Override
        public void ended(SubscribeCall call, Status status) {
            callEnded(call, status);
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

        /** Events received but not yet taken, about at most (default 1024; a batch message may add one message more). */
        public Builder capacity(int n) {
            this.capacity = n;
            return this;
        }

        /**
         * Contacts the server and subscribes; events are then taken with {@link BusSubscriber#take()}.
         *
         * @throws BusException bad input (an invalid option or pattern) or unavailable (the server
         *                      cannot be reached)
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
            s.dispatcher = new Dispatcher(s::take, handler, s.done);
            return s;
        }

        private void check() {
            if (history < 0) {
                throw new BusException(Kind.BAD_INPUT, "history must not be negative, got " + history);
            }
            if (after < 0) {
                throw new BusException(Kind.BAD_INPUT, "position must not be negative, got " + after);
            }
            if (since != null && since.isBefore(Instant.EPOCH)) {
                throw new BusException(Kind.BAD_INPUT, "since must not be before 1970, got " + since);
            }
            if (capacity < 1) {
                throw new BusException(Kind.BAD_INPUT, "capacity must be positive, got " + capacity);
            }
            if (reconnectFor.isNegative()) {
                throw new BusException(Kind.BAD_INPUT, "reconnect limit must not be negative");
            }
        }
    }
}
