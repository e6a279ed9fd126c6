package dev.tailbus.protobus.server;

import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.LogReader;
import dev.tailbus.core.log.StoredEvent;
import dev.tailbus.core.log.TopicStats;
import java.util.function.Predicate;

/**
 * Where a subscription starts, from its options: after a position ({@code after_position}), at
 * the first event stored since a time ({@code since_time}), with the last N stored events of each
 * matching topic ({@code history_depth}), or at the snapshot (live events only). The options win
 * in that order.
 *
 * <p>{@code snapshot} is the position up to which every event was announced when the
 * subscription registered: a history ends there and the live part starts after it, so the
 * boundary has no gap and no duplicate by construction.
 *
 * @param after   the cursor starts after this position
 * @param history the history to send first (events at or below {@code after}), or null
 * @param reader  a log reader standing after {@code first}, or null
 * @param first   the first event to send (read by {@code reader}), or null
 */
record SubscriptionStart(long after, LogReader history, LogReader reader, StoredEvent first) {
    /**
     * Opens the start in {@code log}.
     *
     * @param sinceNanos negative when not set
     * @throws dev.tailbus.core.TailbusException when the log cannot be read for it
     */
    static SubscriptionStart open(BusLog log, Predicate<String> filter, int historyDepth, long afterPosition,
                                  long sinceNanos, long snapshot) {
        if (afterPosition > 0) {
            return new SubscriptionStart(afterPosition, null, null, null);
        }
        if (sinceNanos >= 0) {
            LogReader reader = log.readFromTime(filter, sinceNanos);
            StoredEvent first;
            try {
                first = reader.next();
            } catch (RuntimeException e) {
                reader.close();
                throw e;
            }
            if (first == null) {
                // nothing stored since then: every event after the snapshot (taken before looking) is newer
                reader.close();
                return new SubscriptionStart(snapshot, null, null, null);
            }
            return new SubscriptionStart(first.position() - 1, null, reader, first);
        }
        if (historyDepth > 0) {
            long whole = wholeTopicsStart(log, filter, historyDepth);
            if (whole >= 0) {
                return new SubscriptionStart(whole, null, null, null);
            }
            return new SubscriptionStart(snapshot, log.lastPerTopic(filter, historyDepth, snapshot), null, null);
        }
        return new SubscriptionStart(snapshot, null, null, null);
    }

    /**
     * When every matching topic holds at most {@code depth} stored events, the history is all of
     * them: then it is simply the log read from before the first of them (the returned
     * position), with no separate history phase. Else -1, and the history comes from
     * {@code lastPerTopic}.
     */
    private static long wholeTopicsStart(BusLog log, Predicate<String> filter, int depth) {
        long first = Long.MAX_VALUE;
        for (TopicStats t : log.topics()) {
            if (filter.test(t.topic())) {
                if (t.events() > depth) {
                    return -1;
                }
                first = Math.min(first, t.firstPosition());
            }
        }
        return first == Long.MAX_VALUE ? -1 : first - 1;
    }
}
