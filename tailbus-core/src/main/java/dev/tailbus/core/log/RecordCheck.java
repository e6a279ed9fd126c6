package dev.tailbus.core.log;

import java.util.zip.CRC32C;

/**
 * The one check of a record against its index entry, used by readers, recovery and
 * {@code tailbus store verify}: the record's bytes are all there, its 4-byte length prefix (see
 * {@link Segment}) equals the entry's record length, and the CRC-32C of its body equals the
 * entry's checksum (see {@link IndexEntry}).
 *
 * <p>Stateless and thread-safe (a checksum object per thread).
 */
final class RecordCheck {
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private RecordCheck() {
    }

    /**
     * Checks the record starting at {@code at} in {@code bytes} ({@code available} bytes of it
     * read) against an entry's {@code length} and {@code checksum}; null when it agrees, else what
     * is wrong, as words that follow "record at offset N".
     */
    static String check(byte[] bytes, int at, int available, int length, int checksum) {
        if (length < 0 || available < 4 + (long) length) {
            return "is cut short";
        }
        int prefix = (bytes[at] & 0xFF) | (bytes[at + 1] & 0xFF) << 8 | (bytes[at + 2] & 0xFF) << 16
                | (bytes[at + 3] & 0xFF) << 24;
        if (prefix != length) {
            return "has a length prefix that does not match the index";
        }
        return crc(bytes, at + 4, length) == checksum ? null : "fails its checksum";
    }

    /** The CRC-32C of {@code length} bytes at {@code at}, as the index stores it. */
    static int crc(byte[] bytes, int at, int length) {
        CRC32C crc = CRC.get();
        crc.reset();
        crc.update(bytes, at, length);
        return (int) crc.getValue();
    }
}
