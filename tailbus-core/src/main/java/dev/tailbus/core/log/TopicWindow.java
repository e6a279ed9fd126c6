package dev.tailbus.core.log;

import java.util.function.Predicate;

/**
 * Which events of each topic a {@link PartitionCursor} returns: those with a position at or
 * above {@link #from(String)}; {@link Long#MAX_VALUE} for a topic it does not want at all. A
 * reader from a position wants every matching topic from 0; a history wants each topic from its
 * N-th newest event.
 */
@FunctionalInterface
interface TopicWindow {
    /** The lowest position wanted of {@code topic}, or {@link Long#MAX_VALUE} for none. */
    long from(String topic);

    /** Every event of the topics {@code filter} matches. */
    static TopicWindow of(Predicate<String> filter) {
        return topic -> filter.test(topic) ? 0 : Long.MAX_VALUE;
    }
}
