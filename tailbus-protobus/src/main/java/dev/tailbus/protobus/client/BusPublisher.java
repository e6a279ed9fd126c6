package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Publishes events to a protobus server: {@link #publish} blocks until the server has stored the
 * event, {@link #publishAsync} returns at once with a future; {@link #close()} flushes.
 *
 * <pre>{@code
 * try (BusPublisher publisher = BusPublisher.builder("localhost:42000").build()) {
 *     publisher.publish(BusEvent.of("sensors/t1", "21.5".getBytes(UTF_8)));
 * }
 * }</pre>
 *
 * <p>Design note: one sender thread takes what callers queued and sends it as one
 * {@code PublishBatch} call per batch (up to {@link Builder#maxBatchEvents} events or
 * {@link Builder#maxBatchBytes} bytes), one call at a time, so that events are stored in the order
 * they were published and a batch's futures complete when the server's answer (its
 * {@code Status}, sent after it appended every event) arrives. Under load, events queue while a
 * call is in flight and the next batch takes them all: batching adapts to the rate without a
 * linger delay. A server without {@code PublishBatch} (the reference) gets {@code Publish} calls.
 * Memory is bounded: {@link #publishAsync} blocks while {@link Builder#maxPendingEvents} events wait.
 *
 * <p>A failed batch fails the futures of its events (they may or may not have been stored:
 * nothing is retried, so nothing is stored twice). Thread-safe.
 */
public final class BusPublisher implements AutoCloseable {
    private static final Pending END = new Pending(null, null, 0);

    private final Channel channel;
    private final ManagedChannel owned;
    private final String target;
    private final int maxBatchEvents;
    private final int maxBatchBytes;
    private final Duration callTimeout;
    private final Semaphore room;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread sender;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicReference<BusException> unreported = new AtomicReference<>();
    private volatile CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
    private volatile boolean singleOnly;

    private record Pending(WireEvent event, CompletableFuture<Void> done, int size) {
    }

    private static final MethodDescriptor.Marshaller<Status> STATUS = ProtoUtils.marshaller(Status.getDefaultInstance());
    private static final MethodDescriptor<byte[], Status> PUBLISH_BATCH =
            ProtobusServiceGrpc.getPublishBatchMethod().toBuilder(BytesMarshaller.INSTANCE, STATUS).build();
    private static final MethodDescriptor<byte[], Status> PUBLISH =
            ProtobusServiceGrpc.getPublishMethod().toBuilder(BytesMarshaller.INSTANCE, STATUS).build();
    /** Room for the transmit time field in a batch's size estimate. */
    private static final int TRANSMIT_BYTES = 16;

    private BusPublisher(Builder b) {
        this.owned = b.channel == null ? BusConnections.open(b.address, b.credentials) : null;
        this.channel = owned != null ? owned : b.channel;
        this.target = b.address != null ? b.address : channel.authority();
        this.maxBatchEvents = b.maxBatchEvents;
        this.maxBatchBytes = b.maxBatchBytes;
        this.callTimeout = b.callTimeout;
        this.room = new Semaphore(b.maxPendingEvents);
        this.sender = new Thread(this::sendLoop, "tailbus-publisher");
        sender.setDaemon(true);
        sender.start();
    }

    /** A publisher to the server at {@code address} ({@code HOST:PORT}), on a channel of its own. */
    public static Builder builder(String address) {
        return new Builder(address, null);
    }

    /** A publisher on a caller's channel (which {@link #close()} leaves open). */
    public static Builder builder(Channel channel) {
        return new Builder(null, channel);
    }

    /**
     * Publishes {@code event} and waits until the server stored it.
     *
     * @throws BusException if the server refused the event or could not be reached
     */
    public void publish(BusEvent event) {
        CompletableFuture<Void> done = publishAsync(event);
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusException(Kind.IO, "interrupted while publishing to " + event.topic(), e);
        } catch (ExecutionException e) {
            unreported.compareAndSet((BusException) e.getCause(), null); // reported here
            throw (BusException) e.getCause();
        }
    }

    /**
     * Queues {@code event} for publishing; the future completes when the server stored it, or
     * exceptionally with a {@link BusException}. Blocks while the queue is full.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public CompletableFuture<Void> publishAsync(BusEvent event) {
        // serialized here, on the caller's thread: the sender only puts the bytes together
        WireEvent wire = WireEvent.of(event);
        try {
            room.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusException(Kind.IO, "interrupted while publishing to " + event.topic(), e);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (queue) {
            if (closed.get()) {
                room.release();
                throw new IllegalStateException("publisher is closed");
            }
            last = done;
            queue.add(new Pending(wire, done, wire.sizeInBatch(TRANSMIT_BYTES)));
        }
        return done;
    }

    /**
     * Waits until every event published before is stored or failed.
     *
     * @throws BusException the first failure since the previous flush that no
     *                           {@link #publish} call has reported
     */
    public void flush() {
        try {
            last.handle((ok, failed) -> null).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusException(Kind.IO, "interrupted while flushing to " + target, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e); // handle() never fails
        }
        BusException failure = unreported.getAndSet(null);
        if (failure != null) {
            throw failure;
        }
    }

    /** Events the server has acknowledged as stored. */
    public long acknowledged() {
        return acknowledged.get();
    }

    /**
     * Flushes, stops the sender and closes the channel if this publisher opened it. Idempotent.
     *
     * @throws BusException as {@link #flush()}
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        synchronized (queue) {
            queue.add(END);
        }
        try {
            sender.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            flush();
        } finally {
            if (owned != null) {
                BusConnections.close(owned);
            }
        }
    }

    private void sendLoop() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            Pending first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (first == END) {
                return;
            }
            batch.clear();
            batch.add(first);
            long bytes = first.size();
            Pending next;
            while (batch.size() < maxBatchEvents && (next = queue.peek()) != null && next != END
                    && bytes + next.size() <= maxBatchBytes) {
                batch.add(queue.poll());
                bytes += next.size();
            }
            send(batch);
            room.release(batch.size());
        }
    }

    private void send(List<Pending> batch) {
        byte[] transmit = WireEvent.transmitField(BusEvent.timestamp(Instant.now()));
        List<WireEvent> events = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            events.add(p.event());
        }
        BusException failure = null;
        try {
            if (!singleOnly) {
                try {
                    call(true, events, transmit);
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != io.grpc.Status.Code.UNIMPLEMENTED) {
                        throw e;
                    }
                    singleOnly = true; // a server without the batch method stored nothing
                    call(false, events, transmit);
                }
            } else {
                call(false, events, transmit);
            }
        } catch (StatusRuntimeException e) {
            failure = BusConnections.failure("publish to " + topicOf(batch.getFirst()), target, e);
        } catch (TimeoutException e) {
            failure = new BusException(Kind.UNAVAILABLE, "cannot publish: no answer from " + target
                    + " within " + callTimeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            failure = new BusException(Kind.IO, "interrupted while publishing", e);
        }
        if (failure == null) {
            acknowledged.addAndGet(batch.size());
            for (Pending p : batch) {
                p.done().complete(null);
            }
        } else {
            unreported.compareAndSet(null, failure);
            for (Pending p : batch) {
                p.done().completeExceptionally(failure);
            }
        }
    }

    private static String topicOf(Pending p) {
        try {
            return EncapsulatedEvent.parseFrom(p.event().head()).getTopic();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return "?";
        }
    }

    /** One call with every event; returns when the server answered OK, else throws. */
    private void call(boolean batched, List<WireEvent> events, byte[] transmit)
            throws InterruptedException, TimeoutException {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<Status> response = StatusAnswer.into(answer);
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
        StreamObserver<byte[]> stream = ClientCalls.asyncClientStreamingCall(
                channel.newCall(batched ? PUBLISH_BATCH : PUBLISH, options), response);
        if (batched) {
            stream.onNext(WireEvent.batch(events, transmit));
        } else {
            for (WireEvent e : events) {
                stream.onNext(e.single(transmit));
            }
        }
        stream.onCompleted();
        Status status;
        try {
            status = answer.get(callTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw io.grpc.Status.fromThrowable(e.getCause()).asRuntimeException();
        }
        if (status.getCode() != 0) {
            throw io.grpc.Status.fromCodeValue(status.getCode()).withDescription(status.getMessage()).asRuntimeException();
        }
    }

    /** The options of a {@link BusPublisher}, validated by {@link #build()}. */
    public static final class Builder {
        private final String address;
        private final Channel channel;
        private int maxBatchEvents = 1000;
        private int maxBatchBytes = 1 << 20;
        private int maxPendingEvents = 100_000;
        private Duration callTimeout = Duration.ofSeconds(60);
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
            this.credentials = java.util.Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The most events in one call (default 1000). */
        public Builder maxBatchEvents(int n) {
            this.maxBatchEvents = n;
            return this;
        }

        /** The most serialized bytes in one call; a larger event goes alone (default 1 MiB). */
        public Builder maxBatchBytes(int n) {
            this.maxBatchBytes = n;
            return this;
        }

        /** Events queued but not yet acknowledged before publishing blocks (default 100,000). */
        public Builder maxPendingEvents(int n) {
            this.maxPendingEvents = n;
            return this;
        }

        /** How long one batch may wait for the server's answer (default 60 s). */
        public Builder callTimeout(Duration timeout) {
            this.callTimeout = timeout;
            return this;
        }

        /**
         * Starts the publisher.
         *
         * @throws BusException (bad input) for an invalid option or address
         */
        public BusPublisher build() {
            if (maxBatchEvents < 1 || maxBatchBytes < 1 || maxPendingEvents < 1) {
                throw new BusException(Kind.BAD_INPUT, "batch and queue limits must be positive");
            }
            if (callTimeout == null || callTimeout.isNegative() || callTimeout.isZero()) {
                throw new BusException(Kind.BAD_INPUT, "the call timeout must be positive");
            }
            return new BusPublisher(this);
        }
    }
}
