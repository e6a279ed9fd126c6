package dev.tailbus.core.log;

/**
 * One event read back from the store.
 *
 * @param position         its position
 * @param topic            its topic
 * @param receiveTimeNanos the server's receive time, nanoseconds since the epoch
 * @param event            the stored bytes, carrying the position field
 */
public record StoredEvent(long position, String topic, long receiveTimeNanos, byte[] event) {
}
