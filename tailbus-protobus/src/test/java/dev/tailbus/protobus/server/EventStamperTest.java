package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnknownFieldSet;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class EventStamperTest {
    private final EventStamper stamper = new EventStamper(4096);

    @Test
    void shouldSetReceiveTimeAndPayloadSizeAndDropWhatAClientClaims() throws Exception {
        EncapsulatedEvent sent = EncapsulatedEvent.newBuilder()
                .setTopic("a/b")
                .putTags("k", "v")
                .setClientEventTime(Timestamp.newBuilder().setSeconds(10).setNanos(5))
                .setServerReceiveTime(Timestamp.newBuilder().setSeconds(1).setNanos(999))
                .setPayloadSize(123456)
                .setPosition(77)
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFromUtf8("hello"))))
                .build();
        EventToAppend stamped = stamper.stamp(sent.toByteArray(), 1_700_000_000_123_456_789L);
        EncapsulatedEvent got = EncapsulatedEvent.parseFrom(stamped.event());
        assertThat(stamped.topic()).isEqualTo("a/b");
        assertThat(stamped.receiveTimeNanos()).isEqualTo(1_700_000_000_123_456_789L);
        assertThat(got.getServerReceiveTime()).isEqualTo(Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(123_456_789).build());
        assertThat(got.getPayloadSize()).isEqualTo(sent.getPayload().getSerializedSize());
        assertThat(got.getPosition()).isZero();
        assertThat(got.getTagsMap()).containsEntry("k", "v");
        assertThat(got.getClientEventTime()).isEqualTo(sent.getClientEventTime());
        assertThat(got.getPayload()).isEqualTo(sent.getPayload());
        // Canonical field order: byte-identical to what protobuf itself writes.
        assertThat(stamped.event()).isEqualTo(got.toByteArray());
    }

    @Test
    void shouldKeepFieldsItDoesNotKnow() throws Exception {
        EncapsulatedEvent sent = EncapsulatedEvent.newBuilder().setTopic("t")
                .setUnknownFields(UnknownFieldSet.newBuilder()
                        .addField(42, UnknownFieldSet.Field.newBuilder().addVarint(9).build()).build())
                .build();
        EncapsulatedEvent got = EncapsulatedEvent.parseFrom(stamper.stamp(sent.toByteArray(), 5).event());
        assertThat(got.getUnknownFields().getField(42).getVarintList()).containsExactly(9L);
        assertThat(got.getPayloadSize()).isZero();
        assertThat(got.getServerReceiveTime().getNanos()).isEqualTo(5);
    }

    @Test
    void shouldRefuseAnEventOverTheLimitWithResourceExhausted() {
        byte[] big = EncapsulatedEvent.newBuilder().setTopic("t")
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(new byte[5000])))).build().toByteArray();
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> stamper.stamp(big, 1));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getStatus().getDescription()).contains("4096");
    }

    @Test
    void shouldRefuseEmptyUnsafeAndMalformedEventsWithInvalidArgument() {
        for (String topic : new String[] {"", "../up", "/abs", "a/../b"}) {
            byte[] bytes = EncapsulatedEvent.newBuilder().setTopic(topic).build().toByteArray();
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> stamper.stamp(bytes, 1));
            assertThat(e.getStatus().getCode()).as(topic).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> stamper.stamp(new byte[] {0x0a, 0x05, 'a'}, 1));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Property(tries = 200)
    void shouldStampAsProtobufWouldForAnyEvent(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String topic,
                                               @ForAll @IntRange(min = 0, max = 300) int payload,
                                               @ForAll boolean withTimes, @ForAll long position,
                                               @ForAll @IntRange(min = 0, max = 999_999_999) int nanos) throws Exception {
        EncapsulatedEvent.Builder b = EncapsulatedEvent.newBuilder().setTopic(topic).putTags("x", topic)
                .setPosition(position);
        if (payload > 0) {
            b.setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(new byte[payload]))));
        }
        if (withTimes) {
            b.setClientTransmitTime(Timestamp.newBuilder().setSeconds(3).setNanos(nanos));
        }
        EncapsulatedEvent sent = b.build();
        long receive = 1_000_000_000L * 1_800_000_000L + nanos;
        EncapsulatedEvent expected = sent.toBuilder().clearPosition()
                .setServerReceiveTime(Timestamp.newBuilder().setSeconds(1_800_000_000L).setNanos(nanos))
                .setPayloadSize(payload > 0 ? sent.getPayload().getSerializedSize() : 0).build();
        byte[] stamped = stamper.stamp(sent.toByteArray(), receive).event();
        assertThat(EncapsulatedEvent.parseFrom(stamped)).isEqualTo(expected);
    }
}
