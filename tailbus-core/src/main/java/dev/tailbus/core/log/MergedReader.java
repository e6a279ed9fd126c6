package dev.tailbus.core.log;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A {@link LogReader} over every partition holding a matching topic: merges the partitions'
 * cursors by position, returning an event stored in two files once.
 *
 * <p>Design note: a reader returns only positions up to the log's visible last position, read
 * once per call, so that a batch spread over several partitions is seen whole and in order; it
 * adds a cursor for a partition when that partition first holds a matching topic, starting after
 * the last position returned (no earlier matching event can exist there).
 *
 * <p>Not thread-safe.
 */
final class MergedReader implements LogReader {
    private final EventLog log;
    private final Predicate<String> filter;
    private final List<PartitionCursor> cursors = new ArrayList<>();
    private final Map<Partition, Integer> checked = new HashMap<>();
    private long last;
    private long seenVersion = -1;
    private boolean closed;

    MergedReader(EventLog log, Predicate<String> filter, long after) {
        this.log = log;
        this.filter = filter;
        this.last = after;
    }

    @Override
    public StoredEvent next() {
        if (closed) {
            return null;
        }
        long horizon = log.lastPosition();
        refresh();
        while (true) {
            PartitionCursor best = null;
            StoredEvent bestEvent = null;
            for (PartitionCursor c : cursors) {
                StoredEvent e = c.peek(horizon);
                while (e != null && e.position() <= last) {
                    c.take();
                    e = c.peek(horizon);
                }
                if (e != null && (bestEvent == null || e.position() < bestEvent.position())) {
                    best = c;
                    bestEvent = e;
                }
            }
            if (best == null) {
                return null;
            }
            best.take();
            last = bestEvent.position();
            return bestEvent;
        }
    }

    private void refresh() {
        long version = log.version();
        if (version == seenVersion) {
            return;
        }
        seenVersion = version;
        for (Partition p : log.partitions()) {
            Integer done = checked.get(p);
            if (done != null && done < 0) {
                continue;
            }
            String[] topics = p.topics();
            int from = done == null ? 0 : done;
            boolean any = false;
            for (int i = from; i < topics.length && !any; i++) {
                any = filter.test(topics[i]);
            }
            if (any) {
                cursors.add(new PartitionCursor(p, filter, last));
                checked.put(p, -1);
            } else {
                checked.put(p, topics.length);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        cursors.clear();
    }
}
