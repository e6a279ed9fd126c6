package dev.tailbus.protobus.client;

import dev.tailbus.protobus.proto.SubscriptionOptions;
import java.time.Instant;

/**
 * Where the next {@code Subscribe} call of a subscriber starts: right after the last event it
 * received, once it received one (the server sends positions in increasing order, so
 * {@code after_position} continues exactly: nothing lost, nothing repeated); before that, at the
 * start the user chose: after a position, since a time, a history depth, or (live only) after the
 * log's last position learned at the first contact.
 *
 * <p>Thread-safe: events are received on gRPC threads, calls made on the reconnect timer.
 */
final class ResumePoint {
    private final int history;
    private final long after;
    private final Instant since;
    /** The log's last position at the first contact; -1: unknown (a server without the admin service). */
    private final long watermark;
    private volatile long received;

    ResumePoint(int history, long after, Instant since, long watermark) {
        this.history = history;
        this.after = after;
        this.since = since;
        this.watermark = watermark;
    }

    /** An event with this position was received (0: a server that gives no positions). */
    void received(long position) {
        if (position > 0) {
            received = position;
        }
    }

    /** The position of the last event received, 0 if none. */
    long lastPosition() {
        return received;
    }

    /** The options of the next call. */
    SubscriptionOptions options() {
        SubscriptionOptions.Builder o = SubscriptionOptions.newBuilder();
        long seen = received;
        if (seen > 0) {
            o.setAfterPosition(seen);
        } else if (after > 0) {
            o.setAfterPosition(after);
        } else if (since != null) {
            o.setSinceTime(BusEvent.timestamp(since));
        } else if (history == 0 && watermark > 0) {
            o.setAfterPosition(watermark);
        } else if (history == 0 && watermark == 0) {
            o.setSinceTime(BusEvent.timestamp(Instant.EPOCH)); // the log was empty: all of it is new
        } else {
            o.setHistoryDepth(history);
        }
        return o.build();
    }
}
