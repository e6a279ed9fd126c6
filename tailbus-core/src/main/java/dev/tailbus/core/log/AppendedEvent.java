package dev.tailbus.core.log;

/**
 * The outcome of appending one event.
 *
 * @param position         the position the log assigned
 * @param topic            the event's topic
 * @param receiveTimeNanos the server's receive time, nanoseconds since the epoch
 * @param event            the bytes as stored: the given event with the position field appended
 * @param stored           whether any store pattern stored it (if not, it has a position but no file)
 */
public record AppendedEvent(long position, String topic, long receiveTimeNanos, byte[] event, boolean stored) {
}
