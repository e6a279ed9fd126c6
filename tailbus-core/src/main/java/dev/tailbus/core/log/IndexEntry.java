package dev.tailbus.core.log;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The index file beside each segment ({@code SEGMENT.idx}): a header, then one fixed-size entry
 * per record of the segment, in file order. All numbers little-endian.
 *
 * <pre>
 *   header (16 bytes)
 *    0               4               8              12              16
 *   +---------------+---------------+---------------+---------------+
 *   |  "TBLX"       |  version = 1  |  entry size=48|  0 (reserved) |
 *   +---------------+---------------+---------------+---------------+
 *
 *   entry n (48 bytes, at 16 + 48 n)
 *    0                               8                              16
 *   +-------------------------------+-------------------------------+
 *   |  position (u64)               |  file offset of the record's  |
 *   |                               |  4-byte length (u64)          |
 *   +-------------------------------+-------------------------------+
 *   |  receive time, ns (i64)       |  max receive time of entries  |
 *   |                               |  0..n of this segment (i64)   |
 *   +---------------+---------------+---------------+---------------+
 *   |  topic id     |  previous     |  record length|  CRC-32C of   |
 *   |  (u32)        |  entry of the |  (u32)        |  the record   |
 *   |               |  same topic,  |               |  (u32)        |
 *   |               |  -1 if none   |               |               |
 *   +---------------+---------------+---------------+---------------+
 *   32              36              40              44              48
 * </pre>
 *
 * <p>Topic ids count from 0 in order of first appearance in the segment, so an entry whose id is
 * new names its topic through its record; the index needs no topic table. The "previous entry of
 * the same topic" chains make the last N events of a topic N hops from its newest entry, even
 * when many topics share the segment. The running maximum of receive times makes "first event
 * at or after a time" a binary search even when receive times are not monotonic. The CRC, which
 * the reference's record format lacks, detects corrupt records.
 *
 * <p>An index is derived data: it is rebuilt from its segment whenever it is missing, has a bad
 * header, its last entry does not match the segment's bytes, or any entry disagrees with the
 * others or the segment (positions not growing, a record overlapping the one before or running
 * past the end, a topic id out of order); entries past the segment's end are dropped and records
 * past the index's end are indexed at open. It is forced when its segment rotates, and when the log
 * closes under a flush policy that forces; a new segment's index file is made before its data file.
 *
 * <p>Stateless; the static methods read and write entries in a little-endian buffer.
 */
final class IndexEntry {
    static final int MAGIC = 0x584C4254; // "TBLX" little-endian
    static final int VERSION = 1;
    static final int HEADER = 16;
    static final int SIZE = 48;

    static final int POSITION = 0;
    static final int OFFSET = 8;
    static final int TIME = 16;
    static final int MAX_TIME = 24;
    static final int TOPIC = 32;
    static final int PREVIOUS = 36;
    static final int LENGTH = 40;
    static final int CRC = 44;

    private IndexEntry() {
    }

    static ByteBuffer header() {
        ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(SIZE).putInt(0).flip();
        return b;
    }

    static boolean validHeader(ByteBuffer b) {
        return b.remaining() >= HEADER && b.getInt(0) == MAGIC && b.getInt(4) == VERSION && b.getInt(8) == SIZE;
    }

    /** The file offset of entry {@code n}. */
    static long at(long n) {
        return HEADER + n * SIZE;
    }

    static void put(ByteBuffer b, long position, long offset, long time, long maxTime, int topic, int previous,
                    int length, int crc) {
        b.putLong(position).putLong(offset).putLong(time).putLong(maxTime)
                .putInt(topic).putInt(previous).putInt(length).putInt(crc);
    }
}
