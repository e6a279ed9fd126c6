package dev.tailbus.kafka;

import dev.tailbus.core.log.EventWire;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a subscription's resume token holds, kept as it changes: for every partition it reads
 * (by {@link Positions} base), the next offset after what it delivered. Two arrays sorted by
 * base, and the token itself, encoded as {@link ResumeToken} lays it out and mended in place: an
 * event changes one entry, whose varint is rewritten where it stands (an entry's length is set by
 * its base's high bits, so it keeps its place), and the token is copied into the outgoing bytes
 * as it is: no boxed map entry, no token array per event, no work per partition per event.
 *
 * <p>Not thread-safe: one subscription's thread.
 */
final class NextOffsets {
    private long[] bases = new long[4];
    private long[] offsets = new long[4];
    private int size;
    /** Where the last look found its base. */
    private int last = -1;
    /** The token now, valid when {@link #encoded} is true, and where each entry's varint starts in it. */
    private byte[] token = new byte[64];
    private int[] entryAt = new int[4];
    private int tokenSize;
    private boolean encoded;

    /** Sets the next offset of the partition with {@code base}. */
    void put(long base, long offset) {
        int at = find(base);
        if (at < 0) {
            at = insert(-at - 1, base);
        }
        set(at, offset);
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
            set(at, offset);
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
        encode();
        return tokenSize;
    }

    /** The length the token would have after {@link #put put(base, offset)}, which this does not do. */
    int tokenSizeAfter(long base, long offset) {
        encode();
        int at = find(base);
        if (at < 0) {
            return tokenSize - EventWire.varintSize(size) + EventWire.varintSize(size + 1)
                    + EventWire.varintSize(Positions.entry(base, offset));
        }
        return tokenSize - EventWire.varintSize(Positions.entry(base, offsets[at]))
                + EventWire.varintSize(Positions.entry(base, offset));
    }

    /** Writes the token now into {@code out} at {@code at}; returns the index after it. */
    int writeToken(byte[] out, int at) {
        encode();
        System.arraycopy(token, 0, out, at, tokenSize);
        return at + tokenSize;
    }

    /** The token now, as {@link ResumeToken#encode} of {@link #toMap()} gives it. */
    byte[] token() {
        encode();
        return Arrays.copyOf(token, tokenSize);
    }

    private void set(int at, long offset) {
        if (encoded) {
            long before = Positions.entry(bases[at], offsets[at]);
            long after = Positions.entry(bases[at], offset);
            if (EventWire.varintSize(before) == EventWire.varintSize(after)) {
                EventWire.writeVarint(token, entryAt[at], after);
            } else {
                encoded = false;
            }
        }
        offsets[at] = offset;
    }

    /** Makes the token from the entries when a change moved them. */
    private void encode() {
        if (encoded) {
            return;
        }
        int need = 1 + 10 + 10 * size;
        if (token.length < need) {
            token = new byte[Math.max(need, 2 * token.length)];
        }
        if (entryAt.length < bases.length) {
            entryAt = new int[bases.length];
        }
        int at = 0;
        token[at++] = ResumeToken.VERSION;
        at = EventWire.writeVarint(token, at, size);
        for (int i = 0; i < size; i++) {
            entryAt[i] = at;
            at = EventWire.writeVarint(token, at, Positions.entry(bases[i], offsets[i]));
        }
        tokenSize = at;
        encoded = true;
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

    /** Adds the partition with {@code base} at {@code at}, offset 0 until set. */
    private int insert(int at, long base) {
        if (size == bases.length) {
            bases = Arrays.copyOf(bases, 2 * size);
            offsets = Arrays.copyOf(offsets, 2 * size);
        }
        System.arraycopy(bases, at, bases, at + 1, size - at);
        System.arraycopy(offsets, at, offsets, at + 1, size - at);
        bases[at] = base;
        offsets[at] = 0;
        size++;
        last = at;
        encoded = false;
        return at;
    }
}
