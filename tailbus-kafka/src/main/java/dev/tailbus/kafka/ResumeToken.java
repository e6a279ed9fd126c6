package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import java.util.Map;
import java.util.TreeMap;

/**
 * The resume token, what a subscriber hands back to continue after an event exactly, through
 * any gateway: for every partition the subscription reads, the next offset to read, as
 * {@link Positions} entries (the partition's high bits, the next offset in the low 40):
 *
 * <pre>
 *   token = 0x01 | varint(n) | varint(entry 1) | ... | varint(entry n)     entries ascending
 *   entry = code &lt;&lt; 48 | partition &lt;&lt; 40 | next offset
 * </pre>
 *
 * <p>A partition the token does not name is read from its beginning: it did not exist, or held
 * nothing for the subscription, when the token was made. After an event, its own partition's
 * entry is the event's position (offset + 1 is the next offset).
 *
 * <p>Stateless.
 */
final class ResumeToken {
    static final byte VERSION = 1;

    private ResumeToken() {
    }

    /** The token of {@code next} (partition base to next offset). */
    static byte[] encode(Map<Long, Long> next) {
        byte[] out = new byte[2 + 10 + next.size() * 9];
        int at = 0;
        out[at++] = VERSION;
        at = varint(out, at, next.size());
        Map<Long, Long> sorted = next instanceof java.util.SortedMap<Long, Long> ? next : new TreeMap<>(next);
        for (Map.Entry<Long, Long> e : sorted.entrySet()) {
            at = varint(out, at, Positions.entry(e.getKey(), e.getValue()));
        }
        return java.util.Arrays.copyOf(out, at);
    }

    /**
     * Partition base to next offset.
     *
     * @throws KafkaLogException BAD_INPUT for bytes that are not a token
     */
    static Map<Long, Long> decode(byte[] token) {
        try {
            if (token.length < 2 || token[0] != VERSION) {
                throw new IllegalArgumentException();
            }
            int[] at = {1};
            long n = readVarint(token, at);
            if (n < 0 || n > token.length) {
                throw new IllegalArgumentException();
            }
            Map<Long, Long> next = new TreeMap<>();
            for (long i = 0; i < n; i++) {
                long entry = readVarint(token, at);
                if (entry < 0 || Positions.codeOf(entry) == 0) {
                    throw new IllegalArgumentException();
                }
                next.put(Positions.baseOf(entry), Positions.low(entry));
            }
            if (at[0] != token.length) {
                throw new IllegalArgumentException();
            }
            return next;
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            throw new KafkaLogException(Kind.BAD_INPUT, "resume_token is not a token of protobus-server on Kafka");
        }
    }

    private static int varint(byte[] buf, int at, long value) {
        while ((value & ~0x7FL) != 0) {
            buf[at++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buf[at++] = (byte) value;
        return at;
    }

    private static long readVarint(byte[] buf, int[] at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = buf[at[0]++];
            value |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return value;
            }
        }
        throw new IllegalArgumentException();
    }
}
