package dev.tailbus.protobus.client;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Timestamp;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * An event to publish, serialized by the publishing thread in two parts around its transmit time,
 * which is only known when its batch is sent: fields 1 to 3 (topic, tags, event time) before,
 * fields 5 and above (payload, ...) after, so that the sender adds field 4 between them in field
 * order without building the message again.
 *
 * <pre>
 *   EventBatch message:   [tag 1|LEN][varint n][ head | transmit time (field 4) | tail ] ... per event
 *                                              '------------- n bytes -------------'
 * </pre>
 *
 * @param head        the fields numbered below 4 (and field 4 itself when the event has its own transmit time)
 * @param tail        the fields numbered above 4
 * @param hasTransmit whether the event carries its own transmit time
 */
record WireEvent(byte[] head, byte[] tail, boolean hasTransmit) {
    private static final int EVENTS = EventBatch.EVENTS_FIELD_NUMBER;

    static WireEvent of(BusEvent e) {
        EncapsulatedEvent.Builder head = EncapsulatedEvent.newBuilder().setTopic(e.topic()).putAllTags(e.tags());
        if (e.eventTime() != null) {
            head.setClientEventTime(BusEvent.timestamp(e.eventTime()));
        }
        if (e.transmitTime() != null) {
            head.setClientTransmitTime(BusEvent.timestamp(e.transmitTime()));
        }
        EncapsulatedEvent.Builder tail = EncapsulatedEvent.newBuilder().setPayload(e.payload()).setPosition(e.position());
        if (e.receiveTime() != null) {
            tail.setServerReceiveTime(BusEvent.timestamp(e.receiveTime()));
        }
        return new WireEvent(head.build().toByteArray(), tail.build().toByteArray(), e.transmitTime() != null);
    }

    /** The serialized field 4 for a transmit time. */
    static byte[] transmitField(Timestamp time) {
        return EncapsulatedEvent.newBuilder().setClientTransmitTime(time).build().toByteArray();
    }

    /** The event's size with {@code transmit} added where it has none. */
    int size(byte[] transmit) {
        return head.length + (hasTransmit ? 0 : transmit.length) + tail.length;
    }

    /** Bytes this event takes in a batch message, at most (with a transmit time of {@code transmitLength}). */
    int sizeInBatch(int transmitLength) {
        int n = head.length + transmitLength + tail.length;
        return CodedOutputStream.computeTagSize(EVENTS) + CodedOutputStream.computeUInt32SizeNoTag(n) + n;
    }

    /** One serialized {@code EncapsulatedEvent}. */
    byte[] single(byte[] transmit) {
        byte[] out = new byte[size(transmit)];
        write(out, 0, transmit);
        return out;
    }

    /** One serialized {@code EventBatch} holding {@code events}. */
    static byte[] batch(List<WireEvent> events, byte[] transmit) {
        int total = 0;
        for (WireEvent e : events) {
            int n = e.size(transmit);
            total += CodedOutputStream.computeTagSize(EVENTS) + CodedOutputStream.computeUInt32SizeNoTag(n) + n;
        }
        byte[] out = new byte[total];
        CodedOutputStream writer = CodedOutputStream.newInstance(out);
        try {
            for (WireEvent e : events) {
                int n = e.size(transmit);
                writer.writeTag(EVENTS, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
                writer.writeUInt32NoTag(n);
                writer.writeRawBytes(e.head);
                if (!e.hasTransmit) {
                    writer.writeRawBytes(transmit);
                }
                writer.writeRawBytes(e.tail);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out;
    }

    private void write(byte[] out, int at, byte[] transmit) {
        System.arraycopy(head, 0, out, at, head.length);
        at += head.length;
        if (!hasTransmit) {
            System.arraycopy(transmit, 0, out, at, transmit.length);
            at += transmit.length;
        }
        System.arraycopy(tail, 0, out, at, tail.length);
    }
}
