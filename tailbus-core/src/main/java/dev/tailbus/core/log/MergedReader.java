package dev.tailbus.core.log;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * A {@link LogReader} over every partition holding a wanted topic: merges the partitions'
 * cursors by position through a heap (a cost per event that grows with the logarithm of the
 * partitions read, not with their number), returning an event stored in two files once.
 *
 * <p>Design note: a reader returns only positions up to a horizon (the log's visible last
 * position, read once per call, or a fixed one for a history), so that a batch spread over
 * several partitions is seen whole and in order. Cursors with an event within the horizon wait in
 * the heap; the others wait aside and are looked at again only when the horizon moves. A
 * following reader learns of new partitions and topics from the log's {@link TopicJournal},
 * adding a cursor for a partition when it first holds a matching topic, starting after the last
 * position returned (no earlier matching event can exist there).
 *
 * <p>Not thread-safe.
 */
final class MergedReader implements LogReader {
    private final EventLog log;
    private final Predicate<String> filter;
    private final long fixedHorizon;
    private final PriorityQueue<PartitionCursor> ready =
            new PriorityQueue<>((a, b) -> Long.compare(a.peek(Long.MAX_VALUE).position(), b.peek(Long.MAX_VALUE).position()));
    private List<PartitionCursor> waiting = new ArrayList<>();
    private final BitSet followed = new BitSet();
    /** The read-ahead this reader's cursors share. */
    private final PartitionCursor.Budget budget;
    private int cursors;
    private int journalSeen;
    private long horizonSeen = -1;
    private long last;
    private boolean closed;

    /** A reader following the log: matching events after {@code after}, including ones appended later. */
    MergedReader(EventLog log, Predicate<String> filter, long after) {
        this.log = log;
        this.filter = filter;
        this.fixedHorizon = -1;
        this.last = after;
        this.budget = PartitionCursor.Budget.sharedBy(1);
    }

    /** A reader over {@code cursors} only, up to position {@code horizon} (a history). */
    MergedReader(List<PartitionCursor> cursors, PartitionCursor.Budget budget, long horizon) {
        this.log = null;
        this.filter = null;
        this.fixedHorizon = horizon;
        this.last = 0;
        this.budget = budget;
        this.cursors = cursors.size();
        this.waiting.addAll(cursors);
    }

    @Override
    public StoredEvent next() {
        if (closed) {
            return null;
        }
        long horizon = fixedHorizon >= 0 ? fixedHorizon : log.lastPosition();
        if (log != null) {
            follow();
        }
        if (horizon != horizonSeen) {
            horizonSeen = horizon;
            List<PartitionCursor> still = new ArrayList<>();
            for (PartitionCursor c : waiting) {
                if (c.peek(horizon) != null) {
                    ready.add(c);
                } else {
                    still.add(c);
                }
            }
            waiting = still;
        }
        while (true) {
            PartitionCursor c = ready.poll();
            if (c == null) {
                return null;
            }
            StoredEvent e = c.peek(horizon);
            c.take();
            if (c.peek(horizon) != null) {
                ready.add(c);
            } else {
                waiting.add(c);
            }
            if (e.position() > last) {
                last = e.position();
                return e;
            }
            // the same event from a second file: returned already
        }
    }

    /** Adds cursors for partitions that came to hold a matching topic since the last look. */
    private void follow() {
        TopicJournal journal = log.journal();
        int size = journal.size();
        if (size == journalSeen) {
            return;
        }
        Partition[] partitions = null;
        for (int i = journalSeen; i < size; i++) {
            int p = journal.partition(i);
            if (followed.get(p) || !filter.test(journal.topic(i))) {
                continue;
            }
            if (partitions == null) {
                partitions = log.partitions();
            }
            followed.set(p);
            budget.share(++cursors); // the cursors already reading shrink to their share as they read on
            PartitionCursor c = new PartitionCursor(partitions[p], TopicWindow.of(filter), last, budget);
            waiting.add(c);
            horizonSeen = -1; // look at it
        }
        journalSeen = size;
    }

    /** Bytes this reader's cursors hold now (tests, statistics). */
    long heldBytes() {
        long held = 0;
        for (PartitionCursor c : ready) {
            held += c.heldBytes();
        }
        for (PartitionCursor c : waiting) {
            held += c.heldBytes();
        }
        return held;
    }

    @Override
    public void close() {
        closed = true;
        ready.clear();
        waiting.clear();
    }
}
