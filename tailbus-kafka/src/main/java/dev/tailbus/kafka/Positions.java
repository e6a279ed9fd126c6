package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;

/**
 * The position of an event on Kafka, made of where Kafka keeps it, so that every gateway gives
 * the same event the same position without asking anyone:
 *
 * <pre>
 *   bit  63   62 ........ 48   47 ..... 40   39 .................... 0
 *       +---+----------------+-------------+---------------------------+
 *       | 0 | topic code     | partition   | offset + 1                |
 *       +---+----------------+-------------+---------------------------+
 *            1..32767          0..255        1..2^40-1
 *            (PositionCodes)
 * </pre>
 *
 * <p>Positions are unique per event and grow within a partition; across partitions they are not
 * ordered, which is why a subscriber resumes with a resume token ({@link ResumeToken}) rather
 * than a position. The same layout with "next offset" in the low bits is one entry of a token.
 *
 * <p>Stateless.
 */
final class Positions {
    static final int MAX_CODE = (1 << 15) - 1;
    static final int MAX_PARTITIONS = 256;
    static final long MAX_OFFSET = (1L << 40) - 2;
    private static final long OFFSET_MASK = (1L << 40) - 1;

    private Positions() {
    }

    /** The high bits of every position of one partition. */
    static long base(int code, int partition) {
        if (code < 1 || code > MAX_CODE) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "topic code " + code + " outside 1.." + MAX_CODE);
        }
        if (partition < 0 || partition >= MAX_PARTITIONS) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "partition " + partition + " beyond the "
                    + MAX_PARTITIONS + " a position can name");
        }
        return (long) code << 48 | (long) partition << 40;
    }

    /** The position of the record at {@code offset} of the partition with {@code base}. */
    static long of(long base, long offset) {
        if (offset < 0 || offset > MAX_OFFSET) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "offset " + offset + " beyond what a position holds");
        }
        return base | (offset + 1);
    }

    /** A token entry: the partition with {@code base}, to be read from {@code nextOffset} on. */
    static long entry(long base, long nextOffset) {
        return base | (nextOffset & OFFSET_MASK);
    }

    static long baseOf(long positionOrEntry) {
        return positionOrEntry & ~OFFSET_MASK;
    }

    static int codeOf(long positionOrEntry) {
        return (int) (positionOrEntry >>> 48);
    }

    static int partitionOf(long positionOrEntry) {
        return (int) (positionOrEntry >>> 40) & 0xFF;
    }

    /** The low 40 bits: offset + 1 of a position, the next offset of an entry. */
    static long low(long positionOrEntry) {
        return positionOrEntry & OFFSET_MASK;
    }
}
