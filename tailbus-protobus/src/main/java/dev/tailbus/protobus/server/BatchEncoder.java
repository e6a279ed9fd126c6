package dev.tailbus.protobus.server;

import com.google.protobuf.CodedOutputStream;
import dev.tailbus.protobus.proto.EventBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Packs events (serialized {@code EncapsulatedEvent}s) into {@code EventBatch} messages of about
 * {@code messageBytes} for {@code SubscribeBatch}: each event becomes one length-delimited field
 * 1, copied as it is. An event that does not fit is carried to the next message; an event larger
 * than a message goes alone.
 *
 * <p>Not thread-safe: one subscription's drain.
 */
final class BatchEncoder {
    private static final int FIELD = EventBatch.EVENTS_FIELD_NUMBER;

    private final int messageBytes;
    private byte[] carried;
    private byte[] scratch;

    BatchEncoder(int messageBytes) {
        this.messageBytes = messageBytes;
    }

    /** Whether an event is waiting for the next message. */
    boolean hasCarried() {
        return carried != null;
    }

    /**
     * The next message: the carried event (if any) and as many events from {@code next} (which
     * answers null when there are none now) as fit; null when there was nothing to send.
     *
     * @param counted receives the number of events in the message at index 0
     */
    byte[] encode(Supplier<byte[]> next, int[] counted) {
        byte[] event = carried != null ? carried : next.get();
        carried = null;
        if (event == null) {
            counted[0] = 0;
            return null;
        }
        int first = CodedOutputStream.computeByteArraySize(FIELD, event);
        // one scratch buffer per subscription, copied out at the message's exact size
        byte[] buffer = first <= messageBytes ? scratch() : new byte[first];
        CodedOutputStream out = CodedOutputStream.newInstance(buffer);
        int count = 0;
        try {
            while (event != null) {
                if (count > 0 && CodedOutputStream.computeByteArraySize(FIELD, event) > out.spaceLeft()) {
                    carried = event;
                    break;
                }
                out.writeByteArray(FIELD, event);
                count++;
                event = next.get();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        counted[0] = count;
        int length = out.getTotalBytesWritten();
        return length == buffer.length && buffer != scratch ? buffer : Arrays.copyOf(buffer, length);
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[messageBytes];
        }
        return scratch;
    }
}
