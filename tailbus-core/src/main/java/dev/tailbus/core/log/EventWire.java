package dev.tailbus.core.log;

/**
 * The few protobuf wire-format facts the log needs about a serialized {@code EncapsulatedEvent},
 * without protobuf: field 1 {@code topic} (string), field 5 {@code server_receive_time} (a
 * {@code Timestamp}: seconds = 1, nanos = 2) and field 100 {@code position} (varint), which the log
 * appends to every event it stores.
 *
 * <pre>
 *   stored event = the caller's bytes | 0xA0 0x06 | varint(position)
 *                                       \_ tag: field 100, wire type 0
 * </pre>
 *
 * <p>Protobuf parsers take the last occurrence of a scalar field, so the appended position wins
 * over any a client sent; parsers that do not know field 100 keep it as an unknown field.
 *
 * <p>Stateless and thread-safe; {@link Fields} holders are not.
 */
public final class EventWire {
    /** The field number of the position. */
    public static final int POSITION_FIELD = 100;
    private static final int TOPIC_FIELD = 1;
    private static final int RECEIVE_TIME_FIELD = 5;
    /** The tag of field 100 with wire type 0, as a varint: 100 << 3 = 800 = 0xA0 0x06. */
    static final byte TAG0 = (byte) 0xA0;
    static final byte TAG1 = (byte) 0x06;

    private EventWire() {
    }

    /** The fields of one event found by {@link #parse}; reusable, not thread-safe. */
    public static final class Fields {
        /** Field 1, or null when absent. */
        public String topic;
        /** Field 5 in nanoseconds since the epoch, or 0 when absent. */
        public long receiveTimeNanos;
        /** The last field 100, or -1 when absent. */
        public long position;

        void clear() {
            topic = null;
            receiveTimeNanos = 0;
            position = -1;
        }
    }

    /** The number of bytes of {@code value} as a varint. */
    public static int varintSize(long value) {
        // ceil(significant bits / 7), and 1 for 0, without a loop: equal for every long (as protobuf computes it)
        return (640 - 9 * Long.numberOfLeadingZeros(value)) >>> 6;
    }

    /** Writes {@code value} as a varint at {@code offset}; returns the offset after it. */
    public static int writeVarint(byte[] buf, int offset, long value) {
        while ((value & ~0x7FL) != 0) {
            buf[offset++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buf[offset++] = (byte) value;
        return offset;
    }

    /** The bytes added to an event to carry {@code position}. */
    public static int positionFieldSize(long position) {
        return 2 + varintSize(position);
    }

    /** A copy of {@code event} with the position field appended. */
    public static byte[] withPosition(byte[] event, long position) {
        byte[] out = new byte[event.length + positionFieldSize(position)];
        System.arraycopy(event, 0, out, 0, event.length);
        int at = event.length;
        out[at++] = TAG0;
        out[at++] = TAG1;
        writeVarint(out, at, position);
        return out;
    }

    /**
     * Parses the fields the log needs from {@code length} bytes at {@code offset}.
     *
     * @return whether the bytes are a well-formed protobuf message (every field's extent inside it)
     */
    public static boolean parse(byte[] buf, int offset, int length, Fields out) {
        out.clear();
        int end = offset + length;
        int at = offset;
        try {
            while (at < end) {
                long tag = 0;
                int shift = 0;
                while (true) {
                    if (at >= end || shift > 63) {
                        return false;
                    }
                    byte b = buf[at++];
                    tag |= (long) (b & 0x7F) << shift;
                    if (b >= 0) {
                        break;
                    }
                    shift += 7;
                }
                long field = tag >>> 3;
                int type = (int) (tag & 7);
                if (field == 0) {
                    return false;
                }
                switch (type) {
                    case 0 -> {
                        long value = 0;
                        shift = 0;
                        while (true) {
                            if (at >= end || shift > 63) {
                                return false;
                            }
                            byte b = buf[at++];
                            value |= (long) (b & 0x7F) << shift;
                            if (b >= 0) {
                                break;
                            }
                            shift += 7;
                        }
                        if (field == POSITION_FIELD) {
                            out.position = value;
                        }
                    }
                    case 1 -> at += 8;
                    case 5 -> at += 4;
                    case 2 -> {
                        long len = 0;
                        shift = 0;
                        while (true) {
                            if (at >= end || shift > 63) {
                                return false;
                            }
                            byte b = buf[at++];
                            len |= (long) (b & 0x7F) << shift;
                            if (b >= 0) {
                                break;
                            }
                            shift += 7;
                        }
                        if (len < 0 || len > end - at) {
                            return false;
                        }
                        if (field == TOPIC_FIELD) {
                            out.topic = new String(buf, at, (int) len, java.nio.charset.StandardCharsets.UTF_8);
                        } else if (field == RECEIVE_TIME_FIELD) {
                            long t = timestampNanos(buf, at, (int) len);
                            if (t == Long.MIN_VALUE) {
                                return false;
                            }
                            out.receiveTimeNanos = t;
                        }
                        at += (int) len;
                    }
                    default -> {
                        return false;
                    }
                }
            }
            return at == end;
        } catch (ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }

    /** A {@code Timestamp} message in nanoseconds, or {@link Long#MIN_VALUE} when malformed. */
    private static long timestampNanos(byte[] buf, int offset, int length) {
        long seconds = 0;
        long nanos = 0;
        int end = offset + length;
        int at = offset;
        while (at < end) {
            int tag = buf[at++];
            if (tag == 0x08 || tag == 0x10) {
                long value = 0;
                int shift = 0;
                while (true) {
                    if (at >= end || shift > 63) {
                        return Long.MIN_VALUE;
                    }
                    byte b = buf[at++];
                    value |= (long) (b & 0x7F) << shift;
                    if (b >= 0) {
                        break;
                    }
                    shift += 7;
                }
                if (tag == 0x08) {
                    seconds = value;
                } else {
                    nanos = (int) value;
                }
            } else {
                return Long.MIN_VALUE;
            }
        }
        return seconds * 1_000_000_000L + nanos;
    }

    /** Encodes a minimal event with just a topic and a receive time (tests and tools). */
    public static byte[] minimalEvent(String topic, long receiveTimeNanos, byte[] payloadField7) {
        byte[] t = topic.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long seconds = Math.floorDiv(receiveTimeNanos, 1_000_000_000L);
        long nanos = Math.floorMod(receiveTimeNanos, 1_000_000_000L);
        byte[] ts = new byte[1 + varintSize(seconds) + 1 + varintSize(nanos)];
        int at = 0;
        ts[at++] = 0x08;
        at = writeVarint(ts, at, seconds);
        ts[at++] = 0x10;
        writeVarint(ts, at, nanos);
        int size = 1 + varintSize(t.length) + t.length + 1 + varintSize(ts.length) + ts.length;
        if (payloadField7 != null) {
            size += 1 + varintSize(payloadField7.length) + payloadField7.length;
        }
        byte[] out = new byte[size];
        at = 0;
        out[at++] = 0x0A;
        at = writeVarint(out, at, t.length);
        System.arraycopy(t, 0, out, at, t.length);
        at += t.length;
        out[at++] = 0x2A;
        at = writeVarint(out, at, ts.length);
        System.arraycopy(ts, 0, out, at, ts.length);
        at += ts.length;
        if (payloadField7 != null) {
            out[at++] = 0x3A;
            at = writeVarint(out, at, payloadField7.length);
            System.arraycopy(payloadField7, 0, out, at, payloadField7.length);
        }
        return out;
    }
}
