package dev.tailbus.tailsrv;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * The one line a client sends first: a signed decimal offset, surrounding whitespace allowed,
 * ended by {@code \n}. Zero or more: start at that byte. Negative: start that many bytes before
 * the end of the file, and at its start if the file is shorter.
 */
final class OffsetHeader {
    private OffsetHeader() {
    }

    /** The offset in {@code line} (the bytes before the newline), or empty if it is not one. */
    static OptionalLong parse(byte[] line, int length) {
        int from = 0;
        int to = length;
        while (from < to && isSpace(line[from])) {
            from++;
        }
        while (to > from && isSpace(line[to - 1])) {
            to--;
        }
        if (from == to) {
            return OptionalLong.empty();
        }
        for (int i = from; i < to; i++) {
            byte b = line[i];
            boolean sign = i == from && (b == '-' || b == '+');
            if (!sign && (b < '0' || b > '9')) {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(new String(line, from, to - from, StandardCharsets.US_ASCII)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // a lone sign, or beyond 64 bits
        }
    }

    /** Where a client asking for {@code requested} starts in a file of {@code size} bytes. */
    static long start(long requested, long size) {
        return requested >= 0 ? requested : Math.max(0, size + requested);
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == 0x0b || b == '\f';
    }
}
