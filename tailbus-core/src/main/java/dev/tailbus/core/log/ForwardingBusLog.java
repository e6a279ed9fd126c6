package dev.tailbus.core.log;

import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * A {@link BusLog} that passes every call to the log under it, for a wrapper (a meter, a test's
 * fault) to override the calls it changes. Closing it closes the log under it.
 *
 * <p>Thread-safe, as the log under it.
 */
public abstract class ForwardingBusLog implements BusLog {
    private final BusLog log;

    protected ForwardingBusLog(BusLog log) {
        this.log = log;
    }

    /** The log under this one. */
    protected final BusLog delegate() {
        return log;
    }

    @Override
    public List<AppendedEvent> append(List<EventToAppend> batch) {
        return log.append(batch);
    }

    @Override
    public long lastPosition() {
        return log.lastPosition();
    }

    @Override
    public LogReader lastPerTopic(Predicate<String> topics, int n, long upTo) {
        return log.lastPerTopic(topics, n, upTo);
    }

    @Override
    public int maxHistoryDepth() {
        return log.maxHistoryDepth();
    }

    @Override
    public LogReader readAfter(Predicate<String> topics, long after) {
        return log.readAfter(topics, after);
    }

    @Override
    public LogReader readFromTime(Predicate<String> topics, long timeNanos) {
        return log.readFromTime(topics, timeNanos);
    }

    @Override
    public AutoCloseable onAppend(LongConsumer listener) {
        return log.onAppend(listener);
    }

    @Override
    public List<TopicStats> topics() {
        return log.topics();
    }

    @Override
    public boolean appendsRemotely() {
        return log.appendsRemotely();
    }

    @Override
    public LogFeed openFeed(Predicate<String> topics, FeedStart start) {
        return log.openFeed(topics, start);
    }

    @Override
    public byte[] resumeTokenNow() {
        return log.resumeTokenNow();
    }

    @Override
    public String describe() {
        return log.describe();
    }

    @Override
    public void close() {
        log.close();
    }
}
