package dev.tailbus.metrics;

import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.ForwardingBusLog;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.util.List;

/**
 * A {@link BusLog} that counts what is appended to the log under it, by store pattern: every
 * published event that the log accepted, once, with the bytes it was stored as. Everything else
 * passes straight through.
 *
 * <p>Thread-safe, as the log under it.
 */
final class MeteredLog extends ForwardingBusLog {
    private final PrefixLabels labels;
    private final CounterDataPoint[] events;
    private final CounterDataPoint[] bytes;

    MeteredLog(BusLog log, PrefixLabels labels, CounterDataPoint[] events, CounterDataPoint[] bytes) {
        super(log);
        this.labels = labels;
        this.events = events;
        this.bytes = bytes;
    }

    @Override
    public List<AppendedEvent> append(List<EventToAppend> batch) {
        List<AppendedEvent> appended = delegate().append(batch);
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
}
