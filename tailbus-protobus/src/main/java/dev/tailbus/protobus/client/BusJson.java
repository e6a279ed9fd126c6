package dev.tailbus.protobus.client;

import com.google.gson.stream.JsonWriter;
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
import com.google.protobuf.Timestamp;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import com.google.protobuf.util.JsonFormat;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
 * The JSON shapes of the bus, in one place: an event as {@code tailbus subscribe} prints it and
 * the HTTP face streams it, and a topic as {@code tailbus topics --format json} prints it and
 * {@code GET /api/topics} lists it.
 *
 * <p>An event: {@code topic}, {@code tags} (an object), {@code event_time}, {@code transmit_time},
 * {@code receive_time} (RFC 3339 in UTC with nine fraction digits, or null), {@code position},
 * {@code payload_type} (the Any's type URL) and {@code payload}: a well-known wrapper's value as
 * the proto3 JSON mapping writes it, otherwise the Any's value bytes in base64; a
 * {@code BytesValue} holding valid UTF-8 also gets {@code payload_text}.
 *
 * <p>Written with Gson's streaming writer (escaping) and protobuf's {@link JsonFormat} (wrapper
 * values). Stateless and thread-safe.
 */
public final class BusJson {
    private static final DateTimeFormatter RFC3339_NANOS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonFormat.Printer WRAPPER = JsonFormat.printer().omittingInsignificantWhitespace();
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

    /** The event's JSON object, on one line. */
    public static String event(BusEvent e) {
        return write(w -> event(w, e));
    }

    /** Writes the event's JSON object to {@code w}. */
    public static void event(JsonWriter w, BusEvent e) throws IOException {
        w.beginObject();
        w.name("topic").value(e.topic());
        w.name("tags").beginObject();
        for (Map.Entry<String, String> tag : e.tags().entrySet()) {
            w.name(tag.getKey()).value(tag.getValue());
        }
        w.endObject();
        w.name("event_time").value(e.eventTime() == null ? null : rfc3339(e.eventTime()));
        w.name("transmit_time").value(e.transmitTime() == null ? null : rfc3339(e.transmitTime()));
        w.name("receive_time").value(e.receiveTime() == null ? null : rfc3339(e.receiveTime()));
        w.name("position").jsonValue(Long.toUnsignedString(e.position()));
        payload(w, e.payload());
        w.endObject();
    }

    /** A topic's JSON object: name, events, bytes, first and last position and receive time. */
    public static String topic(TopicInfo t) {
        return write(w -> topic(w, t));
    }

    /** Writes a topic's JSON object to {@code w}. */
    public static void topic(JsonWriter w, TopicInfo t) throws IOException {
        w.beginObject();
        w.name("topic").value(t.getTopic());
        w.name("events").jsonValue(Long.toUnsignedString(t.getEvents()));
        w.name("bytes").jsonValue(Long.toUnsignedString(t.getBytes()));
        w.name("first_position").jsonValue(Long.toUnsignedString(t.getFirstPosition()));
        w.name("last_position").jsonValue(Long.toUnsignedString(t.getLastPosition()));
        w.name("first_time").value(rfc3339(t.getFirstTime()));
        w.name("last_time").value(rfc3339(t.getLastTime()));
        w.endObject();
    }

    /** RFC 3339 in UTC with nanoseconds, such as {@code 2026-11-25T13:45:00.123456789Z}. */
    public static String rfc3339(Instant t) {
        return RFC3339_NANOS.format(t);
    }

    /** A protobuf timestamp in RFC 3339 as {@link #rfc3339(Instant)} writes it. */
    public static String rfc3339(Timestamp t) {
        return rfc3339(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()));
    }

    /** A JSON writer on {@code out} that writes the bus's JSON: compact, nulls kept, no HTML escaping. */
    public static JsonWriter writer(java.io.Writer out) {
        JsonWriter w = new JsonWriter(out);
        w.setSerializeNulls(true);
        w.setHtmlSafe(false);
        return w;
    }

    /** Something that writes one JSON value. */
    @FunctionalInterface
    public interface JsonPart {
        void writeTo(JsonWriter w) throws IOException;
    }

    /** The JSON text {@code part} writes. */
    public static String write(JsonPart part) {
        StringWriter out = new StringWriter();
        try (JsonWriter w = writer(out)) {
            part.writeTo(w);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void payload(JsonWriter w, Any any) throws IOException {
        String url = any.getTypeUrl();
        w.name("payload_type").value(url);
        if (url.isEmpty() && any.getValue().isEmpty()) {
            w.name("payload").nullValue();
            return;
        }
        String name = url.substring(url.lastIndexOf('/') + 1);
        if (name.equals("google.protobuf.BytesValue")) {
            // the common case, without JsonFormat's generic printer: proto3 JSON writes bytes in base64
            try {
                byte[] bytes = BytesValue.parseFrom(any.getValue()).getValue().toByteArray();
                w.name("payload").value(Base64.getEncoder().encodeToString(bytes));
                String text = utf8(bytes);
                if (text != null) {
                    w.name("payload_text").value(text);
                }
                return;
            } catch (InvalidProtocolBufferException e) {
                // not what its type says: shown as bytes below
            }
        }
        Class<? extends Message> wrapper = name.equals("google.protobuf.BytesValue") ? null : WRAPPERS.get(name);
        if (wrapper != null) {
            try {
                Message value = any.unpack(wrapper);
                // The proto3 JSON mapping of a wrapper is the JSON of its value alone.
                w.name("payload").jsonValue(WRAPPER.print(value));
                return;
            } catch (InvalidProtocolBufferException e) {
                // not what its type says: shown as bytes
            }
        }
        w.name("payload").value(Base64.getEncoder().encodeToString(any.getValue().toByteArray()));
    }

    /** The bytes as text when they are valid UTF-8, else null. */
    public static String utf8(byte[] bytes) {
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
