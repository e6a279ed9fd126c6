package dev.tailbus.cli;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.BytesValue;
import com.google.protobuf.DoubleValue;
import com.google.protobuf.FloatValue;
import com.google.protobuf.Int32Value;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.StringValue;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import com.google.protobuf.util.JsonFormat;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Map;

/**
 * The JSON line {@code tailbus subscribe} (and {@code tailbus store dump}) prints for an event:
 * topic, tags, the three times in RFC 3339 with nine fraction digits in UTC, position, the
 * payload's encoded size and type URL and the payload
 * (a well-known wrapper's value as the proto3 JSON mapping writes it, base64 otherwise, plus
 * {@code payload_text} when a bytes payload is valid UTF-8).
 */
final class BusJson {
    private static final DateTimeFormatter RFC3339_NANOS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFormat.Printer WRAPPER = JsonFormat.printer();
    private static final Map<String, Class<? extends Message>> WRAPPERS = Map.of(
            "google.protobuf.StringValue", StringValue.class,
            "google.protobuf.BytesValue", BytesValue.class,
            "google.protobuf.BoolValue", BoolValue.class,
            "google.protobuf.Int32Value", Int32Value.class,
            "google.protobuf.Int64Value", Int64Value.class,
            "google.protobuf.UInt32Value", UInt32Value.class,
            "google.protobuf.UInt64Value", UInt64Value.class,
            "google.protobuf.FloatValue", FloatValue.class,
            "google.protobuf.DoubleValue", DoubleValue.class);

    private BusJson() {
    }

    /** Appends the event's JSON object (no newline) to {@code out}. */
    static void event(StringBuilder out, BusEvent e) {
        out.append("{\"topic\":");
        StoreCommand.Json.string(out, e.topic());
        out.append(",\"tags\":{");
        boolean first = true;
        for (Map.Entry<String, String> tag : e.tags().entrySet()) {
            if (!first) {
                out.append(',');
            }
            first = false;
            StoreCommand.Json.string(out, tag.getKey());
            out.append(':');
            StoreCommand.Json.string(out, tag.getValue());
        }
        out.append("},\"event_time\":");
        time(out, e.eventTime());
        out.append(",\"transmit_time\":");
        time(out, e.transmitTime());
        out.append(",\"receive_time\":");
        time(out, e.receiveTime());
        out.append(",\"position\":").append(Long.toUnsignedString(e.position()));
        // what the server stamps as payload_size: the encoded size of the payload (the Any)
        out.append(",\"payload_size\":").append(e.payload().getSerializedSize());
        payload(out, e.payload());
        out.append('}');
    }

    /**
     * Appends the JSON object of a stored event, the bytes of an {@code EncapsulatedEvent}, as
     * {@link #event} does; returns null, or why the bytes do not decode (nothing appended). Here,
     * not in {@code StoreCommand}, so that only running a dump loads protobuf's classes.
     */
    static String stored(StringBuilder out, byte[] event) {
        BusEvent decoded;
        try {
            decoded = BusEvent.fromProto(EncapsulatedEvent.parseFrom(event));
        } catch (InvalidProtocolBufferException e) {
            return e.getMessage();
        }
        event(out, decoded);
        return null;
    }

    /** RFC 3339 in UTC with nanoseconds, such as {@code 2026-11-25T13:45:00.123456789Z}. */
    static String rfc3339(Instant t) {
        return RFC3339_NANOS.format(t);
    }

    private static void time(StringBuilder out, Instant t) {
        if (t == null) {
            out.append("null");
        } else {
            out.append('"').append(rfc3339(t)).append('"');
        }
    }

    private static void payload(StringBuilder out, Any any) {
        String url = any.getTypeUrl();
        out.append(",\"payload_type\":");
        StoreCommand.Json.string(out, url);
        if (url.isEmpty() && any.getValue().isEmpty()) {
            out.append(",\"payload\":null");
            return;
        }
        String name = url.substring(url.lastIndexOf('/') + 1);
        Class<? extends Message> wrapper = WRAPPERS.get(name);
        if (wrapper != null) {
            try {
                Message value = any.unpack(wrapper);
                // The proto3 JSON mapping of a wrapper is the JSON of its value alone.
                out.append(",\"payload\":").append(WRAPPER.omittingInsignificantWhitespace().print(value));
                if (value instanceof BytesValue bytes) {
                    String text = utf8(bytes.getValue().toByteArray());
                    if (text != null) {
                        out.append(",\"payload_text\":");
                        StoreCommand.Json.string(out, text);
                    }
                }
                return;
            } catch (InvalidProtocolBufferException e) {
                // not what its type says: shown as bytes
            }
        }
        out.append(",\"payload\":\"").append(Base64.getEncoder().encodeToString(any.getValue().toByteArray())).append('"');
    }

    private static String utf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
