package dev.tailbus.core.log;

import java.util.Objects;

/**
 * One event to append: its topic, the server's receive time and the serialized
 * {@code EncapsulatedEvent}. The log treats {@code event} as opaque bytes, except that it appends
 * the position field (see {@link EventWire}).
 *
 * @param topic            the topic, checked with {@link EventLog#checkTopic(String)}
 * @param receiveTimeNanos the server's receive time, nanoseconds since the epoch
 * @param event            the serialized event, without the position field
 */
public record EventToAppend(String topic, long receiveTimeNanos, byte[] event) {
    public EventToAppend {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(event, "event");
    }
}
