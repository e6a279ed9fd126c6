package dev.tailbus.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusJson;
import dev.tailbus.protobus.proto.EncapsulatedEvent;

/**
 * A stored event's bytes (an {@code EncapsulatedEvent}) as {@code tailbus store dump} prints
 * them: the JSON object of {@link BusJson#event(BusEvent)}, the shape {@code tailbus subscribe}
 * prints. A class of its own so that only a decoding dump loads protobuf's classes, not
 * {@code store}'s other actions (nor the launcher's cache made from them).
 */
final class DumpJson {
    private DumpJson() {
    }

    /** The event's JSON object, or null if the bytes are not an EncapsulatedEvent. */
    static String event(byte[] stored) {
        try {
            return BusJson.event(BusEvent.fromProto(EncapsulatedEvent.parseFrom(stored)));
        } catch (InvalidProtocolBufferException e) {
            return null;
        }
    }
}
