package dev.tailbus.protobus.server;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.protobuf.WireFormat;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.LogException;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import io.grpc.Status;
import java.io.IOException;
import java.util.Arrays;

/**
 * Checks a published event and stamps it the way the server must before storing it: sets
 * {@code server_receive_time} (nanoseconds) and {@code payload_size} (the encoded size of the
 * payload), drops any {@code position} a client sent (the log appends the real one), and keeps
 * every other field, known or not, byte for byte.
 *
 * <p>Design note: the event is rewritten at the wire level, without building a protobuf object:
 * fields are copied in order and the two server fields are written where field order puts them,
 * so a well-formed client's event comes out in canonical field order. An unusual event (the
 * payload field repeated, which protobuf merges) takes the slow path through the generated class.
 *
 * <p>Stateless and thread-safe.
 */
final class EventStamper {
    private static final int TOPIC = EncapsulatedEvent.TOPIC_FIELD_NUMBER;
    private static final int RECEIVE_TIME = EncapsulatedEvent.SERVER_RECEIVE_TIME_FIELD_NUMBER;
    private static final int PAYLOAD_SIZE = EncapsulatedEvent.PAYLOAD_SIZE_FIELD_NUMBER;
    private static final int PAYLOAD = EncapsulatedEvent.PAYLOAD_FIELD_NUMBER;
    private static final int POSITION = EncapsulatedEvent.POSITION_FIELD_NUMBER;

    private final int maxEventBytes;

    EventStamper(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Checks and stamps one serialized event.
     *
     * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a malformed event or a bad topic,
     *                                        RESOURCE_EXHAUSTED for an event over the size limit
     */
    EventToAppend stamp(byte[] event, long receiveNanos) {
        if (event.length > maxEventBytes) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("event of " + event.length
                    + " bytes is over the limit of " + maxEventBytes + " bytes (--max-event-size)").asRuntimeException();
        }
        EventToAppend stamped;
        try {
            stamped = rewrite(event, receiveNanos);
        } catch (IOException | RuntimeException e) {
            stamped = null;
        }
        if (stamped == null) {
            stamped = rewriteSlowly(event, receiveNanos);
        }
        try {
            EventLog.checkTopic(stamped.topic());
        } catch (LogException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
        return stamped;
    }

    /**
     * The fast path, in two passes: measure the payload, then copy the fields, writing the
     * server's two before the first field numbered above them. Null when the event needs the
     * slow path.
     */
    private static EventToAppend rewrite(byte[] event, long receiveNanos) throws IOException {
        CodedInputStream scan = CodedInputStream.newInstance(event);
        int payloadSize = -1;
        int dropped = 0; // bytes of the fields the server replaces
        while (true) {
            int start = scan.getTotalBytesRead();
            int tag = scan.readTag();
            if (tag == 0) {
                break;
            }
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == PAYLOAD && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                if (payloadSize >= 0) {
                    return null; // repeated payload fields are merged: leave it to protobuf
                }
                payloadSize = scan.readRawVarint32();
                scan.skipRawBytes(payloadSize);
            } else {
                scan.skipField(tag);
                if (field == RECEIVE_TIME || field == PAYLOAD_SIZE || field == POSITION) {
                    dropped += scan.getTotalBytesRead() - start;
                }
            }
        }
        CodedInputStream in = CodedInputStream.newInstance(event);
        // the exact size, so that the stamped event is written once, into its own array
        byte[] out = new byte[event.length - dropped + stampSize(receiveNanos, Math.max(payloadSize, 0))];
        CodedOutputStream writer = CodedOutputStream.newInstance(out);
        String topic = "";
        boolean stampWritten = false;
        while (true) {
            int start = in.getTotalBytesRead();
            int tag = in.readTag();
            if (tag == 0) {
                break;
            }
            int field = WireFormat.getTagFieldNumber(tag);
            if (field > PAYLOAD_SIZE && !stampWritten) {
                writeStamp(writer, receiveNanos, Math.max(payloadSize, 0));
                stampWritten = true;
            }
            switch (field) {
                case TOPIC -> {
                    if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        return null;
                    }
                    topic = in.readStringRequireUtf8();
                    writer.writeRawBytes(event, start, in.getTotalBytesRead() - start);
                }
                case RECEIVE_TIME, PAYLOAD_SIZE, POSITION -> in.skipField(tag);
                default -> {
                    in.skipField(tag);
                    writer.writeRawBytes(event, start, in.getTotalBytesRead() - start);
                }
            }
        }
        if (!stampWritten) {
            writeStamp(writer, receiveNanos, Math.max(payloadSize, 0));
        }
        int written = writer.getTotalBytesWritten();
        return new EventToAppend(topic, receiveNanos, written == out.length ? out : Arrays.copyOf(out, written));
    }

    /** The bytes of the receive time (a Timestamp message, written by hand) and the payload size. */
    private static int stampSize(long receiveNanos, int payloadSize) {
        int time = timestampSize(receiveNanos);
        return CodedOutputStream.computeTagSize(RECEIVE_TIME) + CodedOutputStream.computeUInt32SizeNoTag(time) + time
                + (payloadSize != 0 ? CodedOutputStream.computeInt64Size(PAYLOAD_SIZE, payloadSize) : 0);
    }

    private static int timestampSize(long epochNanos) {
        long seconds = Math.floorDiv(epochNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L);
        return (seconds != 0 ? CodedOutputStream.computeInt64Size(1, seconds) : 0)
                + (nanos != 0 ? CodedOutputStream.computeInt32Size(2, nanos) : 0);
    }

    private static void writeStamp(CodedOutputStream writer, long receiveNanos, int payloadSize) throws IOException {
        // the Timestamp message by hand (seconds = 1, nanos = 2), as the generated class writes it
        long seconds = Math.floorDiv(receiveNanos, 1_000_000_000L);
        int nanos = (int) Math.floorMod(receiveNanos, 1_000_000_000L);
        writer.writeTag(RECEIVE_TIME, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        writer.writeUInt32NoTag(timestampSize(receiveNanos));
        if (seconds != 0) {
            writer.writeInt64(1, seconds);
        }
        if (nanos != 0) {
            writer.writeInt32(2, nanos);
        }
        if (payloadSize != 0) {
            writer.writeInt64(PAYLOAD_SIZE, payloadSize);
        }
    }

    /** Through the generated class: any valid event, at the cost of objects. */
    private static EventToAppend rewriteSlowly(byte[] event, long receiveNanos) {
        EncapsulatedEvent parsed;
        try {
            parsed = EncapsulatedEvent.parseFrom(event);
        } catch (InvalidProtocolBufferException e) {
            throw Status.INVALID_ARGUMENT.withDescription("not a valid EncapsulatedEvent: " + e.getMessage())
                    .asRuntimeException();
        }
        EncapsulatedEvent stamped = parsed.toBuilder()
                .setServerReceiveTime(timestamp(receiveNanos))
                .setPayloadSize(parsed.hasPayload() ? parsed.getPayload().getSerializedSize() : 0)
                .clearPosition()
                .build();
        return new EventToAppend(stamped.getTopic(), receiveNanos, stamped.toByteArray());
    }

    static Timestamp timestamp(long epochNanos) {
        return Timestamp.newBuilder()
                .setSeconds(Math.floorDiv(epochNanos, 1_000_000_000L))
                .setNanos((int) Math.floorMod(epochNanos, 1_000_000_000L))
                .build();
    }
}
