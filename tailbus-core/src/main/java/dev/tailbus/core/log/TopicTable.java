package dev.tailbus.core.log;

import java.util.Arrays;
import java.util.HashMap;

/**
 * The topics of one segment and what the segment holds of each: id (order of first appearance),
 * newest entry, count, bytes, first and last position and time.
 *
 * <p>Written only under the log's lock; {@link #names()} may be read on any thread (the array is
 * replaced, never changed, when a topic is added).
 */
final class TopicTable {
    /** Beyond this many topics a hash map finds ids; below, a scan of the names does. */
    private static final int SCAN = 8;
    private static final String[] NONE = new String[0];

    private HashMap<String, Integer> ids;
    private volatile String[] names = NONE;
    private int size;
    int[] head = new int[1];
    long[] count = new long[1];
    long[] bytes = new long[1];
    long[] firstPosition = new long[1];
    long[] lastPosition = new long[1];
    long[] firstTime = new long[1];
    long[] lastTime = new long[1];

    /** The id of {@code topic}, or -1 when the segment has none of it. */
    int idOf(String topic) {
        if (ids == null) {
            String[] n = names;
            for (int i = 0; i < n.length; i++) {
                if (n[i].equals(topic)) {
                    return i;
                }
            }
            return -1;
        }
        Integer id = ids.get(topic);
        return id == null ? -1 : id;
    }

    /** Adds {@code topic} (not present) and returns its id. */
    int add(String topic) {
        int id = size++;
        if (id == head.length) {
            int n = Math.max(4, id * 2);
            head = Arrays.copyOf(head, n);
            count = Arrays.copyOf(count, n);
            bytes = Arrays.copyOf(bytes, n);
            firstPosition = Arrays.copyOf(firstPosition, n);
            lastPosition = Arrays.copyOf(lastPosition, n);
            firstTime = Arrays.copyOf(firstTime, n);
            lastTime = Arrays.copyOf(lastTime, n);
        }
        head[id] = -1;
        if (ids != null) {
            ids.put(topic, id);
        } else if (id >= SCAN) {
            ids = new HashMap<>();
            for (int i = 0; i < id; i++) {
                ids.put(names[i], i);
            }
            ids.put(topic, id);
        }
        String[] grown = Arrays.copyOf(names, id + 1);
        grown[id] = topic;
        names = grown;
        return id;
    }

    /** Records entry {@code entry} of topic {@code id}; returns the topic's previous entry (-1 if none). */
    int record(int id, int entry, long position, long time, int length) {
        int previous = head[id];
        head[id] = entry;
        if (count[id]++ == 0) {
            firstPosition[id] = position;
            firstTime[id] = time;
        }
        bytes[id] += length;
        lastPosition[id] = position;
        lastTime[id] = time;
        return previous;
    }

    /**
     * Drops the newest topics that have no entry left (added by a write group that was taken
     * back, see {@link UnpublishedEntries}); ids below stay as they are.
     */
    void dropUnused() {
        int keep = size;
        while (keep > 0 && count[keep - 1] == 0) {
            keep--;
        }
        if (keep == size) {
            return;
        }
        String[] n = names;
        if (ids != null) {
            for (int i = keep; i < size; i++) {
                ids.remove(n[i]);
            }
        }
        size = keep;
        names = Arrays.copyOf(n, keep);
    }

    int size() {
        return size;
    }

    /** Topic names by id; safe on any thread. */
    String[] names() {
        return names;
    }
}
