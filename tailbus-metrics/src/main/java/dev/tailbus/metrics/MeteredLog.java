package dev.tailbus.metrics;

import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.LogReader;
import dev.tailbus.core.log.TopicStats;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * A {@link BusLog} that counts what is appended to the log under it, by store pattern: every
 * published event that the log accepted, once, with the bytes it was stored as. Everything else
 * passes straight through.
 *
 * <p>Thread-safe, as the log under it.
 */
final class MeteredLog implements BusLog {
    private final BusLog log;
    private final PrefixLabels labels;
    private final CounterDataPoint[] events;
    private final CounterDataPoint[] bytes;

    MeteredLog(BusLog log, PrefixLabels labels, CounterDataPoint[] events, CounterDataPoint[] bytes) {
        this.log = log;
        this.labels = labels;
        this.events = events;
        this.bytes = bytes;
    }

    @Override
    public List<AppendedEvent> append(List<EventToAppend> batch) {
        List<AppendedEvent> appended = log.append(batch);
        int n = labels.labels().size();
        long[] count = new long[n];
        long[] size = new long[n];
        for (AppendedEvent e : appended) {
            int i = e.stored() ? labels.index(e.topic()) : n - 1;
            count[i]++;
            size[i] += e.event().length;
        }
        for (int i = 0; i < n; i++) {
            if (count[i] > 0) {
                events[i].inc(count[i]);
                bytes[i].inc(size[i]);
            }
        }
        return appended;
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
    public String describe() {
        return log.describe();
    }

    @Override
    public void close() {
        log.close();
    }
}
