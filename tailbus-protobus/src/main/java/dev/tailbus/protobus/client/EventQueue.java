package dev.tailbus.protobus.client;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The events a subscriber received and its consumer has not taken yet, then its end: filled by
 * gRPC threads a message at a time (a chunk of events), emptied by the consumer an event at a
 * time. It keeps everything across reconnects: an event received is delivered, whatever happens
 * to the call that brought it.
 *
 * <p>Design note: chunks, not events, cross between the threads, so that a batch of a thousand
 * events costs one hand-over. The consumer is told ({@code onConsumed}) each time it finished a
 * chunk, to ask the server for more. Thread-safe: any number of producers; one consumer at a
 * time.
 */
final class EventQueue {
    /** The end of the stream: null cause for a clean end. */
    private record End(BusException cause) {
    }

    /** A message's events, with their resume tokens (null: none). */
    private record Chunk(BusEvent[] events, byte[][] tokens) {
    }

    private final LinkedBlockingQueue<Object> chunks = new LinkedBlockingQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final Runnable onConsumed;
    private final Object consumer = new Object();
    private Chunk chunk;
    private int next;
    /** The resume token of the last event taken, or null. */
    private volatile byte[] takenToken;
    private End end;
    private volatile boolean ended;

    EventQueue(Runnable onConsumed) {
        this.onConsumed = onConsumed;
    }

    /** Adds received events, in order. */
    void add(BusEvent[] events) {
        add(events, null);
    }

    /** Adds received events, in order, with the resume token of each (null: none). */
    void add(BusEvent[] events, byte[][] tokens) {
        if (events.length > 0) {
            waiting.addAndGet(events.length);
            chunks.add(new Chunk(events, tokens));
        }
    }

    /** The resume token of the last event taken (null: none, or a server that gives none). */
    byte[] takenToken() {
        return takenToken;
    }

    /** Adds the end: after the events before it, {@link #poll} answers null (clean) or throws {@code cause}. */
    void end(BusException cause) {
        chunks.add(new End(cause));
    }

    /** Events received and not taken. */
    int waiting() {
        return waiting.get();
    }

    /** Whether the end was reached: every event before it was taken. */
    boolean isEnded() {
        return ended;
    }

    /**
     * The next event, waiting at most {@code timeout} (null: no limit); null at the end, or when
     * nothing came in time.
     *
     * @throws BusException the end, when the stream failed
     */
    BusEvent poll(Duration timeout) throws InterruptedException {
        synchronized (consumer) {
            if (chunk == null) {
                if (end != null) {
                    return ending();
                }
                Object item = timeout == null ? chunks.take() : chunks.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                if (item == null) {
                    return null;
                }
                if (item instanceof End e) {
                    end = e;
                    ended = true;
                    return ending();
                }
                chunk = (Chunk) item;
                next = 0;
            }
            if (chunk.tokens() != null) {
                takenToken = chunk.tokens()[next];
            }
            BusEvent e = chunk.events()[next++];
            if (next == chunk.events().length) {
                waiting.addAndGet(-chunk.events().length);
                chunk = null;
                onConsumed.run();
            }
            return e;
        }
    }

    private BusEvent ending() {
        if (end.cause() != null) {
            throw end.cause();
        }
        return null;
    }
}
