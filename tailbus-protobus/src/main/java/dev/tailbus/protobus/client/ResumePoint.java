package dev.tailbus.protobus.client;

import com.google.protobuf.ByteString;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import java.time.Instant;

/**
 * Where the next {@code Subscribe} call of a subscriber starts: right after the last event it
 * received, once it received one (the server sends positions in increasing order, so
 * {@code after_position} continues exactly: nothing lost, nothing repeated); before that, at the
 * start the user chose: after a position, since a time, a history depth, or (live only) after the
 * log's last position learned at the first contact.
 *
 * <p>On a log without one order of positions (protobus-server on Kafka) each event carries a
 * resume token instead, and the token of the last event received continues exactly; a live-only
 * start then uses the token the first contact gave, and a token the user gave comes before every
 * other start.
 *
 * <p>Thread-safe: events are received on gRPC threads, calls made on the reconnect timer.
 */
final class ResumePoint {
    private final int history;
    private final long after;
    private final Instant since;
    /** The log's last position at the first contact; -1: unknown (a server without the admin service). */
    private final long watermark;
    /** The first contact's resume token for a live-only start (a log of tokens), or null. */
    private final byte[] watermarkToken;
    /** The user's resume token, or null. */
    private final byte[] startToken;
    private volatile long received;
    private volatile byte[] receivedToken;

    ResumePoint(int history, long after, Instant since, long watermark) {
        this(history, after, since, watermark, null, null);
    }

    ResumePoint(int history, long after, Instant since, long watermark, byte[] watermarkToken, byte[] startToken) {
        this.history = history;
        this.after = after;
        this.since = since;
        this.watermark = watermark;
        this.watermarkToken = watermarkToken;
        this.startToken = startToken;
    }

    /** An event with this position was received (0: a server that gives no positions). */
    void received(long position) {
        received(position, null);
    }

    /** An event with this position and resume token (null: none) was received. */
    void received(long position, byte[] token) {
        if (token != null) {
            receivedToken = token;
        }
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
        byte[] token = receivedToken;
        if (token != null) {
            o.setResumeToken(ByteString.copyFrom(token));
        } else if (startToken != null) {
            o.setResumeToken(ByteString.copyFrom(startToken));
        } else if (seen > 0) {
            o.setAfterPosition(seen);
        } else if (after > 0) {
            o.setAfterPosition(after);
        } else if (since != null) {
            o.setSinceTime(BusEvent.timestamp(since));
        } else if (history == 0 && watermarkToken != null) {
            o.setResumeToken(ByteString.copyFrom(watermarkToken));
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
