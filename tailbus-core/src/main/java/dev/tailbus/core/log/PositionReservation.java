package dev.tailbus.core.log;

import dev.tailbus.core.fs.Durable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The promise that no position is ever handed out twice, whatever the flush policy and whatever
 * a power cut loses: before a position is given, a higher one is written durably to
 * {@code .tailbus-log.positions} ({@link SegmentFiles}), and an open continues after it.
 *
 * <pre>
 *   .tailbus-log.positions:  decimal text of the highest position that may have been handed
 *                            out, then "\\n"; replaced whole (write, force, rename, force folder)
 * </pre>
 *
 * <p>A reservation takes a block of positions ahead (one durable write per block, not per event):
 * at least {@value #MIN_BLOCK}, doubling while reservations follow each other within a second and
 * halving when they come a minute apart or more, so a fast log writes the file a few times a
 * second at most and a restart after a power cut skips at most about a second's worth. A clean
 * close notes the last position given ({@link #settle}), so a clean restart leaves no gap.
 *
 * <p>Called only under the log's append lock (and at open and close).
 */
final class PositionReservation {
    private static final System.Logger LOG = System.getLogger(PositionReservation.class.getName());
    static final long MIN_BLOCK = 1L << 20;
    static final long MAX_BLOCK = 1L << 32;

    private final Path file;
    private long reserved;
    private long block = MIN_BLOCK;
    private long reservedAtNanos;

    /** Reads the reservation of the store at {@code root} (0 when there is none). */
    PositionReservation(Path root) throws IOException {
        this.file = root.resolve(SegmentFiles.RESERVED_NAME);
        this.reserved = read(file);
    }

    /** The file, for messages. */
    Path file() {
        return file;
    }

    /** The highest position that may have been handed out before. */
    long reserved() {
        return reserved;
    }

    /** Makes sure positions up to {@code last} are reserved durably before any of them is given. */
    void reserveUpTo(long last) throws IOException {
        if (last <= reserved) {
            return;
        }
        long now = System.nanoTime();
        long since = now - reservedAtNanos;
        if (reservedAtNanos != 0 && since < 1_000_000_000L) {
            block = Math.min(MAX_BLOCK, block * 2);
        } else if (since > 60_000_000_000L) {
            block = Math.max(MIN_BLOCK, block / 2);
        }
        write(last + block);
        reservedAtNanos = now;
    }

    /**
     * At a clean close: notes {@code last}, the last position given, so that the next open
     * continues right after it. A failure is logged: the next open then skips the reserved block.
     */
    void settle(long last) {
        if (reserved <= last) {
            return;
        }
        try {
            write(last);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not note the last position in " + file + " (" + e
                    + "); the next open skips the positions reserved");
        }
    }

    private void write(long upTo) throws IOException {
        Durable.replace(file, ByteBuffer.wrap((upTo + "\n").getBytes(StandardCharsets.US_ASCII)));
        reserved = upTo;
    }

    private static long read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            LOG.log(Level.WARNING, "ignoring " + file + ": not a position: " + LogException.quote(text));
            return 0;
        }
    }
}
