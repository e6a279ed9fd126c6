package dev.tailbus.kafka;

import dev.tailbus.core.log.EventWire;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a subscription's resume token holds, kept as it changes: for every partition it reads
 * (by {@link Positions} base), the next offset after what it delivered. Two arrays sorted by
 * base, so that an event costs a look at the partition of the event before (mostly the same)
 * and its token is written straight into the outgoing bytes, with the layout of
 * {@link ResumeToken}: no boxed map entry, no token array per event.
 *
 * <p>Not thread-safe: one subscription's thread.
 */
final class NextOffsets {
    private long[] bases = new long[4];
    private long[] offsets = new long[4];
    private int size;
    /** Where the last look found its base. */
    private int last = -1;

    /** Sets the next offset of the partition with {@code base}. */
    void put(long base, long offset) {
        int at = indexOf(base); // first: it may replace the arrays
        offsets[at] = offset;
    }

    /** Sets it only for a partition not there yet. */
    void putIfAbsent(long base, long offset) {
        if (find(base) < 0) {
            put(base, offset);
        }
    }

    /** Sets it to {@code offset} when that is lower, or when the partition is not there yet. */
    void lowerTo(long base, long offset) {
        int at = find(base);
        if (at < 0) {
            put(base, offset);
        } else if (offset < offsets[at]) {
            offsets[at] = offset;
        }
    }

    /** The entries, for tests and tools. */
    Map<Long, Long> toMap() {
        Map<Long, Long> out = new TreeMap<>();
        for (int i = 0; i < size; i++) {
            out.put(bases[i], offsets[i]);
        }
        return out;
    }

    /** The length of the token now. */
    int tokenSize() {
        int n = 1 + EventWire.varintSize(size);
        for (int i = 0; i < size; i++) {
            n += EventWire.varintSize(Positions.entry(bases[i], offsets[i]));
        }
        return n;
    }

    /** Writes the token now into {@code out} at {@code at}; returns the index after it. */
    int writeToken(byte[] out, int at) {
        out[at++] = ResumeToken.VERSION;
        at = EventWire.writeVarint(out, at, size);
        for (int i = 0; i < size; i++) {
            at = EventWire.writeVarint(out, at, Positions.entry(bases[i], offsets[i]));
        }
        return at;
    }

    /** The token now, as {@link ResumeToken#encode} of {@link #toMap()} gives it. */
    byte[] token() {
        byte[] out = new byte[tokenSize()];
        writeToken(out, 0);
        return out;
    }

    private int find(long base) {
        if (last >= 0 && last < size && bases[last] == base) {
            return last;
        }
        int at = Arrays.binarySearch(bases, 0, size, base);
        if (at >= 0) {
            last = at;
        }
        return at;
    }

    private int indexOf(long base) {
        int at = find(base);
        if (at >= 0) {
            return at;
        }
        at = -at - 1;
        if (size == bases.length) {
            bases = Arrays.copyOf(bases, 2 * size);
            offsets = Arrays.copyOf(offsets, 2 * size);
        }
        System.arraycopy(bases, at, bases, at + 1, size - at);
        System.arraycopy(offsets, at, offsets, at + 1, size - at);
        bases[at] = base;
        size++;
        last = at;
        return at;
    }
}
