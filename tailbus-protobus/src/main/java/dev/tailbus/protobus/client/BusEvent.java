package dev.tailbus.protobus.client;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One event of the bus, as a value: what a {@link BusPublisher} sends and a {@link BusSubscriber}
 * receives. The wire form is {@code protobus.EncapsulatedEvent}; this record spares callers the
 * generated builders and {@code Timestamp} arithmetic.
 *
 * @param topic        the topic (non-empty)
 * @param tags         free-form tags (unmodifiable, sorted by key)
 * @param eventTime    when the event happened according to the publisher, or null
 * @param transmitTime when the publisher sent it, or null (set at sending if null)
 * @param receiveTime  when the server received it (null in an event to publish)
 * @param position     its position in the server's log (0 in an event to publish, and for a
 *                     topic that the server does not store)
 * @param payload      the payload, an {@link Any} (never null; the empty {@code Any} if none)
 */
public record BusEvent(String topic, Map<String, String> tags, Instant eventTime, Instant transmitTime,
                       Instant receiveTime, long position, Any payload) {
    /** The type URL of {@code google.protobuf.BytesValue}, the default wrapper of raw payloads. */
    public static final String BYTES_VALUE_TYPE_URL = "type.googleapis.com/google.protobuf.BytesValue";

    public BusEvent {
        Objects.requireNonNull(topic, "topic");
        tags = tags == null || tags.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(tags));
        payload = payload == null ? Any.getDefaultInstance() : payload;
    }

    /**
     * An event to publish on {@code topic} carrying {@code bytes} wrapped in a
     * {@code google.protobuf.BytesValue}, with the event time now.
     */
    public static BusEvent of(String topic, byte[] bytes) {
        return new BusEvent(topic, Map.of(), Instant.now(), null, null, 0,
                Any.pack(BytesValue.of(ByteString.copyFrom(bytes))));
    }

    /** An event to publish on {@code topic} carrying {@code payload}, with the event time now. */
    public static BusEvent of(String topic, Any payload) {
        return new BusEvent(topic, Map.of(), Instant.now(), null, null, 0, payload);
    }

    /** This event with {@code tags} added to its tags. */
    public BusEvent withTags(Map<String, String> more) {
        Map<String, String> all = new TreeMap<>(tags);
        all.putAll(more);
        return new BusEvent(topic, all, eventTime, transmitTime, receiveTime, position, payload);
    }

    /** This event with another event time. */
    public BusEvent withEventTime(Instant time) {
        return new BusEvent(topic, tags, time, transmitTime, receiveTime, position, payload);
    }

    /**
     * The payload's bytes: the value of a {@code BytesValue} payload, else the packed message's
     * serialized bytes (the {@code Any}'s value field).
     */
    public byte[] payloadBytes() {
        if (BYTES_VALUE_TYPE_URL.equals(payload.getTypeUrl())) {
            try {
                return payload.unpack(BytesValue.class).getValue().toByteArray();
            } catch (InvalidProtocolBufferException e) {
                return payload.getValue().toByteArray();
            }
        }
        return payload.getValue().toByteArray();
    }

    /** The wire form. */
    public EncapsulatedEvent toProto() {
        EncapsulatedEvent.Builder b = EncapsulatedEvent.newBuilder()
                .setTopic(topic)
                .putAllTags(tags)
                .setPayload(payload)
                .setPosition(position);
        if (eventTime != null) {
            b.setClientEventTime(timestamp(eventTime));
        }
        if (transmitTime != null) {
            b.setClientTransmitTime(timestamp(transmitTime));
        }
        if (receiveTime != null) {
            b.setServerReceiveTime(timestamp(receiveTime));
        }
        return b.build();
    }

    /** The value of a wire event; absent times become null. */
    public static BusEvent fromProto(EncapsulatedEvent e) {
        return new BusEvent(e.getTopic(), e.getTagsMap(),
                e.hasClientEventTime() ? instant(e.getClientEventTime()) : null,
                e.hasClientTransmitTime() ? instant(e.getClientTransmitTime()) : null,
                e.hasServerReceiveTime() ? instant(e.getServerReceiveTime()) : null,
                e.getPosition(), e.getPayload());
    }

    static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
