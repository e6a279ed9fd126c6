package dev.tailbus.core.log;

/**
 * What the store holds of one topic (counted once even when two patterns store it twice).
 *
 * @param topic          the topic
 * @param events         stored events
 * @param bytes          their size as stored, without the 4-byte length prefixes
 * @param firstPosition  the position of the oldest
 * @param lastPosition   the position of the newest
 * @param firstTimeNanos the receive time of the oldest
 * @param lastTimeNanos  the receive time of the newest
 */
public record TopicStats(String topic, long events, long bytes, long firstPosition, long lastPosition,
                         long firstTimeNanos, long lastTimeNanos) {
}
