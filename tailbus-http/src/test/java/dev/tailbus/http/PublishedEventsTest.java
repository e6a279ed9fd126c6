package dev.tailbus.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.BytesValue;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The body of a publish: what becomes an event, and every refusal with its status and reason. */
class PublishedEventsTest {
    private static final int LIMIT = 1024;

    @Test
    void shouldTurnAJsonArrayIntoEventsWithTextOrBase64PayloadsTagsAndTimes() throws Exception {
        List<EncapsulatedEvent> events = PublishedEvents.json("a/b", bytes("""
                [{"payload_text": "héllo", "tags": {"k": "v"}},
                 {"payload": "AAEC", "event_time": "2026-11-25T14:45:00.5+01:00"},
                 {"payload": "AAEC", "payload_type": "type.example/x"}]"""), Map.of("from", "query"), LIMIT);
        assertThat(events).hasSize(3);
        assertThat(events.get(0).getTopic()).isEqualTo("a/b");
        assertThat(events.get(0).getPayload().unpack(BytesValue.class).getValue().toStringUtf8()).isEqualTo("héllo");
        assertThat(events.get(0).getTagsMap()).isEqualTo(Map.of("k", "v", "from", "query"));
        assertThat(events.get(1).getPayload().unpack(BytesValue.class).getValue().toByteArray()).containsExactly(0, 1, 2);
        assertThat(events.get(1).getClientEventTime().getSeconds()).isEqualTo(java.time.Instant.parse("2026-11-25T13:45:00Z").getEpochSecond());
        assertThat(events.get(1).getClientEventTime().getNanos()).isEqualTo(500_000_000);
        assertThat(events.get(2).getPayload().getTypeUrl()).isEqualTo("type.example/x");
        assertThat(events.get(2).getPayload().getValue().toByteArray()).containsExactly(0, 1, 2);
        // one object is one event
        assertThat(PublishedEvents.json("t", bytes("{\"payload_text\": \"x\"}"), Map.of(), LIMIT)).hasSize(1);
    }

    @Test
    void shouldWrapARawBodyInABytesValue() throws Exception {
        EncapsulatedEvent e = PublishedEvents.raw("t", new byte[] {9, 8}, Map.of("k", "v"), LIMIT).getFirst();
        assertThat(e.getPayload().unpack(BytesValue.class).getValue().toByteArray()).containsExactly(9, 8);
        assertThat(e.getTagsMap()).isEqualTo(Map.of("k", "v"));
        assertThat(e.hasClientEventTime()).isTrue();
    }

    @Test
    void shouldRefuseEveryBadBodyNamingTheProblem() {
        assertRefused("t", "[{\"payload_text\": \"a\"", 400, "malformed JSON");
        assertRefused("t", "[{\"payload_text\": \"a\"}] trailing", 400, "malformed JSON");
        assertRefused("t", "[{payload_text: 'a'}]", 400, "malformed JSON");
        assertRefused("t", "\"text\"", 400, "expected a JSON array");
        assertRefused("t", "[]", 400, "no event");
        assertRefused("t", "[1]", 400, "event 0 is not a JSON object");
        assertRefused("t", "[{}]", 400, "exactly one of payload_text and payload");
        assertRefused("t", "[{\"payload_text\": \"a\", \"payload\": \"AA==\"}]", 400, "exactly one of");
        assertRefused("t", "[{\"payload_text\": 5}]", 400, "payload_text must be a string");
        assertRefused("t", "[{\"payload\": \"***\"}]", 400, "not base64");
        assertRefused("t", "[{\"payload_text\": \"a\", \"payload_type\": \"x\"}]", 400, "payload_type goes with payload");
        assertRefused("t", "[{\"payload_text\": \"a\", \"tags\": [\"x\"]}]", 400, "tags must be an object");
        assertRefused("t", "[{\"payload_text\": \"a\"}, {\"payload_text\": \"a\", \"tags\": {\"n\": 1}}]", 400,
                "event 1: tag 'n' must be a string");
        assertRefused("t", "[{\"payload_text\": \"a\", \"event_time\": \"noon\"}]", 400, "RFC 3339");
        assertRefused("t", "[{\"payload_text\": \"a\", \"topic\": \"x\"}]", 400, "unknown field 'topic'");
        assertRefused("../x", "[{\"payload_text\": \"a\"}]", 400, "'..'");
        assertRefused("", "[{\"payload_text\": \"a\"}]", 400, "empty");
        assertRefused("t", "[{\"payload_text\": \"a\"}, {\"payload_text\": \"" + "x".repeat(LIMIT) + "\"}]", 413,
                "event 1 is");
    }

    private static void assertRefused(String topic, String body, int status, String naming) {
        HttpProblem p = catchThrowableOfType(HttpProblem.class,
                () -> PublishedEvents.json(topic, bytes(body), Map.of(), LIMIT));
        assertThat(p).as(body).isNotNull();
        assertThat(p.status()).as(body).isEqualTo(status);
        assertThat(p.getMessage()).as(body).contains(naming);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
