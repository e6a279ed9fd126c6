package dev.tailbus.core.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The one check of a record against its index entry, used by readers, recovery and
 * {@code tailbus store verify}: the record lies where the entry points, its bytes are all there,
 * its 4-byte length prefix (see {@link Segment}) equals the entry's record length, the CRC-32C of
 * its body equals the entry's checksum, and its position the entry's (see {@link IndexEntry}).
 *
 * <p>Stateless and thread-safe (a checksum object per thread).
 */
final class RecordCheck {
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private RecordCheck() {
    }

    /**
     * Checks a record against the index entry at {@code entryAt} in {@code entries} (see
     * {@link IndexEntry}): the record was found at file offset {@code recordOffset}, and its bytes,
     * length prefix first, are at {@code at} in {@code bytes} ({@code available} of them read). It
     * agrees when it lies where the entry points, is whole, its length prefix equals the entry's
     * length, its CRC-32C the entry's checksum, and (when {@code recordPosition} is known, above
     * 0) its position the entry's. Returns null when it agrees, else what is wrong, as words that
     * follow "record at offset N".
     */
    static String check(ByteBuffer entries, int entryAt, long recordOffset, byte[] bytes, int at, int available,
                        long recordPosition) {
        long offset = entries.getLong(entryAt + IndexEntry.OFFSET);
        int length = entries.getInt(entryAt + IndexEntry.LENGTH);
        if (offset != recordOffset) {
            return "is not where its index entry points (offset " + offset + "): a stale index";
        }
        if (length < 0 || available < 4 + (long) length) {
            return "is cut short";
        }
        int prefix = (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8 | (bytes[at + 2] & 0xFF) << 16
                | (bytes[at + 3] & 0xFF) << 24;
        if (prefix != length) {
            return "has a length prefix that does not match the index";
        }
        if (crc(bytes, at + 4, length) != entries.getInt(entryAt + IndexEntry.CRC)) {
            return "has a checksum mismatch: it changed after it was written";
        }
        long position = entries.getLong(entryAt + IndexEntry.POSITION);
        if (recordPosition > 0 && recordPosition != position) {
            return "has position " + recordPosition + " but its index entry " + position;
        }
        return null;
    }

    /** The CRC-32C of {@code length} bytes at {@code at}, as the index stores it. */
    static int crc(byte[] bytes, int at, int length) {
        CRC32C crc = CRC.get();
        crc.reset();
        crc.update(bytes, at, length);
        return (int) crc.getValue();
    }
}
