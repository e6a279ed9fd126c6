package dev.tailbus.protobus.server;

import dev.tailbus.core.log.EventWire;
import dev.tailbus.protobus.proto.EventBatch;
import java.util.Arrays;

/**
 * Packs events (serialized {@code EncapsulatedEvent}s) into {@code EventBatch} messages of about
 * {@code messageBytes} for {@code SubscribeBatch}: each event becomes one length-delimited field
 * 1, written by its source straight into the message. An event that does not fit stays in its
 * source for the next message; an event larger than a message goes alone.
 *
 * <pre>
 *   message = ( 0x0A | varint(event length) | event bytes )*      field 1, wire type 2
 * </pre>
 *
 * <p>Not thread-safe: one subscription's drain.
 */
final class BatchEncoder {
    private static final byte TAG = (byte) (EventBatch.EVENTS_FIELD_NUMBER << 3 | 2);

    private final int messageBytes;
    private byte[] scratch;

    BatchEncoder(int messageBytes) {
        this.messageBytes = messageBytes;
    }

    /**
     * The next message: as many events from {@code source} as fit; null when there was nothing
     * to send.
     *
     * @param counted receives the number of events in the message at index 0
     */
    byte[] encode(EventSource source, int[] counted) {
        int size = source.nextSize();
        if (size < 0) {
            counted[0] = 0;
            return null;
        }
        int first = fieldSize(size);
        // one scratch buffer per subscription, copied out at the message's exact size
        byte[] buffer = first <= messageBytes ? scratch() : new byte[first];
        int at = 0;
        int count = 0;
        while (size >= 0) {
            if (count > 0 && fieldSize(size) > buffer.length - at) {
                break;
            }
            buffer[at++] = TAG;
            at = EventWire.writeVarint(buffer, at, size);
            source.takeNext(buffer, at);
            at += size;
            count++;
            size = source.nextSize();
        }
        counted[0] = count;
        return at == buffer.length && buffer != scratch ? buffer : Arrays.copyOf(buffer, at);
    }

    private static int fieldSize(int eventSize) {
        return 1 + EventWire.varintSize(eventSize) + eventSize;
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[messageBytes];
        }
        return scratch;
    }
}
