package dev.tailbus.core.log;

import java.io.Closeable;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * What protobus-server needs of a log: append, read from a position or a time, the last events of
 * every topic, and the topics held. {@link EventLog} is the local implementation on files; another
 * (a gateway onto a cluster, say) can stand beside it without the gRPC layer knowing which it runs
 * on.
 *
 * <p>Contract every implementation keeps: positions are unique, only grow, and are never handed
 * out twice; an append returns only when its events are visible to readers (and as durable as the
 * implementation's policy promises); readers return events in increasing position order and never
 * block; {@link #onAppend} listeners hear of every visible batch.
 *
 * <p>Threading: thread-safe. Each {@link LogReader} is used by one thread at a time.
 */
public interface BusLog extends Closeable {
    /**
     * Appends a batch: every event gets the next position, and is stored by every pattern that
     * matches its topic (or by none: then it has a position but is not stored).
     *
     * @throws LogException {@link dev.tailbus.core.TailbusException.Kind#BAD_INPUT} for a bad
     *                      topic, {@code IO} or {@code UNAVAILABLE} when it cannot be written
     */
    List<AppendedEvent> append(List<EventToAppend> batch);

    /** The highest position assigned and visible so far (0 when the log is empty). */
    long lastPosition();

    /**
     * The last {@code n} stored events of every topic matching {@code topics}, among events with
     * position <= {@code upTo}, as a reader in position order.
     *
     * @throws LogException {@link dev.tailbus.core.TailbusException.Kind#BAD_INPUT} when {@code n}
     *                      is above {@link #maxHistoryDepth()}
     */
    LogReader lastPerTopic(Predicate<String> topics, int n, long upTo);

    /**
     * The deepest history {@link #lastPerTopic} serves ({@link Integer#MAX_VALUE}: no limit), so
     * that a server can refuse a deeper request before it starts.
     */
    default int maxHistoryDepth() {
        return Integer.MAX_VALUE;
    }

    /** Stored events whose topic matches, in position order, positions > {@code after}. */
    LogReader readAfter(Predicate<String> topics, long after);

    /** Stored events whose topic matches, from the first with receive time >= {@code timeNanos}. */
    LogReader readFromTime(Predicate<String> topics, long timeNanos);

    /** Calls {@code listener.accept(lastPosition)} after each batch is visible. */
    AutoCloseable onAppend(LongConsumer listener);

    /** Per stored topic: counts, bytes, first and last position and time, sorted by topic. */
    List<TopicStats> topics();

    // ---- For a log on a cluster (no single order of positions, appends over the network) ----

    /**
     * Whether an append waits for a network round trip (a cluster's acknowledgement): then the
     * server appends on its worker pool and keeps receiving meanwhile, instead of appending on
     * the receiving thread, which suits a local log. False, the default.
     */
    default boolean appendsRemotely() {
        return false;
    }

    /**
     * A subscription's own feed, for a log whose events have no single order of positions: the
     * log then decides the order, and each event carries a resume token (see {@link LogFeed}).
     * Null, the default, for a log of positions: the caller reads with {@link #readAfter},
     * {@link #readFromTime} and {@link #lastPerTopic}.
     *
     * @throws LogException BAD_INPUT for a start the log cannot honour (a malformed token)
     */
    default LogFeed openFeed(Predicate<String> topics, FeedStart start) {
        return null;
    }

    /**
     * A resume token that continues after every event stored now (a live-only start that loses
     * nothing across a reconnect), or null, the default, for a log of positions.
     */
    default byte[] resumeTokenNow() {
        return null;
    }

    /** Where the log keeps its events, for messages: a store root, a cluster's address. */
    String describe();

    /** Flushes per policy and releases everything. Idempotent. */
    @Override
    void close();
}
