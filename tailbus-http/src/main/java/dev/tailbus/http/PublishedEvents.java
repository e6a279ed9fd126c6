package dev.tailbus.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Timestamp;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.LogException;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a {@code POST /api/topics/{topic}/events} body into the events to publish, checked whole
 * before anything is sent, so that a bad event leaves nothing stored.
 *
 * <p>Two forms. A body of any type but JSON is one event's payload, wrapped in a
 * {@code google.protobuf.BytesValue} (as {@code tailbus publish} does), with the tags of the
 * {@code tag=KEY=VALUE} query parameters. A body of type {@code application/json} is an array
 * of events (or one event), each an object with:
 * <pre>
 *   payload_text   the payload as text (stored as the UTF-8 bytes of a BytesValue)
 *   payload        or the payload bytes in base64 (a BytesValue, unless payload_type is given)
 *   payload_type   optional: the Any's type URL, payload then being that message's bytes
 *   tags           optional: an object of string values
 *   event_time     optional: RFC 3339 (default: when the request arrived)
 * </pre>
 * Both fields are the names {@code tailbus subscribe} and the event stream print.
 */
final class PublishedEvents {
    private static final Set<String> FIELDS = Set.of("payload_text", "payload", "payload_type", "tags", "event_time");

    private PublishedEvents() {
    }

    /** One event of raw payload bytes. */
    static List<EncapsulatedEvent> raw(String topic, byte[] payload, Map<String, String> tags, int maxEventBytes) {
        checkTopic(topic);
        EncapsulatedEvent e = BusEvent.of(topic, payload).withTags(tags).toProto();
        checkSize(e, 0, maxEventBytes, false);
        return List.of(e);
    }

    /** The events of a JSON body. */
    static List<EncapsulatedEvent> json(String topic, byte[] body, Map<String, String> queryTags, int maxEventBytes) {
        checkTopic(topic);
        JsonElement root;
        try {
            JsonReader reader = new JsonReader(new StringReader(new String(body, StandardCharsets.UTF_8)));
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
        } catch (JsonParseException | java.io.IOException e) {
            throw HttpProblem.badRequest("malformed JSON: " + message(e));
        }
        JsonArray array;
        boolean single = false;
        if (root.isJsonArray()) {
            array = root.getAsJsonArray();
        } else if (root.isJsonObject()) {
            array = new JsonArray();
            array.add(root);
            single = true;
        } else {
            throw HttpProblem.badRequest("expected a JSON array of events (or one event object)");
        }
        if (array.isEmpty()) {
            throw HttpProblem.badRequest("the array holds no event");
        }
        Instant now = Instant.now();
        List<EncapsulatedEvent> events = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String where = single ? "the event" : "event " + i;
            JsonElement element = array.get(i);
            if (!element.isJsonObject()) {
                throw HttpProblem.badRequest(where + " is not a JSON object");
            }
            EncapsulatedEvent e = event(topic, element.getAsJsonObject(), queryTags, now, where);
            checkSize(e, i, maxEventBytes, !single);
            events.add(e);
        }
        return events;
    }

    private static EncapsulatedEvent event(String topic, JsonObject o, Map<String, String> queryTags, Instant now,
                                           String where) {
        for (String name : o.keySet()) {
            if (!FIELDS.contains(name)) {
                throw HttpProblem.badRequest(where + " has an unknown field '" + name + "' (known: payload_text, "
                        + "payload, payload_type, tags, event_time)");
            }
        }
        boolean text = o.has("payload_text");
        boolean bytes = o.has("payload");
        if (text == bytes) {
            throw HttpProblem.badRequest(where + " needs exactly one of payload_text and payload (base64)");
        }
        Any payload;
        if (text) {
            String value = string(o, "payload_text", where);
            if (o.has("payload_type")) {
                throw HttpProblem.badRequest(where + ": payload_type goes with payload (base64), not payload_text");
            }
            payload = Any.pack(BytesValue.of(ByteString.copyFromUtf8(value)));
        } else {
            byte[] decoded;
            try {
                decoded = Base64.getDecoder().decode(string(o, "payload", where));
            } catch (IllegalArgumentException e) {
                throw HttpProblem.badRequest(where + ": payload is not base64: " + e.getMessage());
            }
            payload = o.has("payload_type")
                    ? Any.newBuilder().setTypeUrl(string(o, "payload_type", where)).setValue(ByteString.copyFrom(decoded)).build()
                    : Any.pack(BytesValue.of(ByteString.copyFrom(decoded)));
        }
        Map<String, String> tags = new TreeMap<>(queryTags);
        if (o.has("tags")) {
            JsonElement t = o.get("tags");
            if (!t.isJsonObject()) {
                throw HttpProblem.badRequest(where + ": tags must be an object of strings");
            }
            for (Map.Entry<String, JsonElement> tag : t.getAsJsonObject().entrySet()) {
                JsonElement v = tag.getValue();
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                    throw HttpProblem.badRequest(where + ": tag '" + tag.getKey() + "' must be a string");
                }
                tags.put(tag.getKey(), v.getAsString());
            }
        }
        Instant eventTime = now;
        if (o.has("event_time")) {
            String spec = string(o, "event_time", where);
            try {
                eventTime = OffsetDateTime.parse(spec).toInstant();
            } catch (DateTimeParseException e) {
                throw HttpProblem.badRequest(where + ": event_time must be RFC 3339 such as 2026-11-25T13:45:00Z, got '"
                        + spec + "'");
            }
        }
        return EncapsulatedEvent.newBuilder()
                .setTopic(topic)
                .putAllTags(tags)
                .setClientEventTime(Timestamp.newBuilder().setSeconds(eventTime.getEpochSecond()).setNanos(eventTime.getNano()))
                .setPayload(payload)
                .build();
    }

    private static String string(JsonObject o, String name, String where) {
        JsonElement v = o.get(name);
        if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw HttpProblem.badRequest(where + ": " + name + " must be a string");
        }
        return v.getAsString();
    }

    /** The server's own topic rule, so that a bad topic is refused here with its reason. */
    static void checkTopic(String topic) {
        try {
            EventLog.checkTopic(topic);
        } catch (LogException e) {
            throw HttpProblem.badRequest(e.getMessage());
        }
    }

    /** The server's own size rule (the serialized event as sent), checked before sending. */
    private static void checkSize(EncapsulatedEvent e, int index, int maxEventBytes, boolean numbered) {
        int size = e.getSerializedSize();
        if (size > maxEventBytes) {
            throw new HttpProblem(413, (numbered ? "event " + index : "the event") + " is " + size
                    + " bytes serialized, over the limit of " + maxEventBytes + " bytes (--max-event-size)");
        }
    }

    private static String message(Exception e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int cut = m.indexOf("\nSee https://");
        return cut >= 0 ? m.substring(0, cut) : m;
    }
}
