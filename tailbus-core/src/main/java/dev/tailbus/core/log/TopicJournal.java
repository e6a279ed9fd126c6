package dev.tailbus.core.log;

import java.util.Arrays;

/**
 * Every (partition, topic) pair the log holds, in the order the log first stored that topic in
 * that partition: a reader that follows the journal from where it last looked learns of new
 * topics and partitions in time proportional to what is new, not to the size of the store.
 *
 * <pre>
 *   entry i:  partition index (into EventLog's partitions, which only grow)  |  topic name
 * </pre>
 *
 * <p>Threading: {@link #add} only under the log's append lock; {@link #size}, {@link #partition}
 * and {@link #topic} on any thread (an entry below {@link #size} never changes; arrays are
 * replaced, never changed in place, when they grow).
 */
final class TopicJournal {
    private volatile int[] partitions = new int[16];
    private volatile String[] topics = new String[16];
    private volatile int size;

    void add(int partition, String topic) {
        int n = size;
        int[] p = partitions;
        String[] t = topics;
        if (n == p.length) {
            p = Arrays.copyOf(p, n * 2);
            t = Arrays.copyOf(t, n * 2);
        }
        p[n] = partition;
        t[n] = topic;
        partitions = p;
        topics = t;
        size = n + 1; // published last: readers see the entry whole
    }

    int size() {
        return size;
    }

    /** The partition index of entry {@code i} (below a {@link #size} read before). */
    int partition(int i) {
        return partitions[i];
    }

    /** The topic of entry {@code i} (below a {@link #size} read before). */
    String topic(int i) {
        return topics[i];
    }
}
