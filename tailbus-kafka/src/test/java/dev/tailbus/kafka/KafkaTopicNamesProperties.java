package dev.tailbus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.StorePattern;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** The naming rule, the position layout and the resume token (as a map and as a feed keeps it), against their definitions. */
class KafkaTopicNamesProperties {
    private final KafkaTopicNames names = new KafkaTopicNames("tailbus-");

    @Property
    void shouldDecodeEveryNameBackToItsFilePrefixInKafkasCharacters(@ForAll @StringLength(min = 1, max = 60) String prefix) {
        String name = KafkaTopicNames.escape(prefix);
        assertThat(name).matches("[A-Za-z0-9_-]*").doesNotContain("__");
        assertThat(KafkaTopicNames.unescape(name)).isEqualTo(prefix);
    }

    @Property
    void shouldGiveTwoFilePrefixesTwoNames(@ForAll @StringLength(max = 20) String a, @ForAll @StringLength(max = 20) String b) {
        if (!a.equals(b)) {
            assertThat(KafkaTopicNames.escape(a)).isNotEqualTo(KafkaTopicNames.escape(b));
        }
    }

    @Example
    void shouldEscapeAsDocumented() {
        assertThat(names.of("orders/eu.paris")).isEqualTo("tailbus-orders_2Feu_2Eparis");
        assertThat(names.of("a_b")).isEqualTo("tailbus-a_5Fb");
        assertThat(names.of("é")).isEqualTo("tailbus-_C3_A9");
        assertThat(names.filePrefixOf("tailbus-orders_2Feu")).isEqualTo("orders/eu");
        assertThat(names.filePrefixOf(names.codesTopic())).isNull();
        assertThat(names.filePrefixOf("tailbus-a_2f")).as("not an escape's output").isNull();
        assertThat(names.filePrefixOf("other-x")).isNull();
    }

    @Example
    void shouldRefuseANameLongerThanKafkaAllows() {
        assertThatThrownBy(() -> names.of("x".repeat(250)))
                .isInstanceOfSatisfying(KafkaLogException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BAD_INPUT));
    }

    @Example
    void shouldFindTheOneTopicOfANameOfAPatternWithTopic() {
        TopicRouter router = new TopicRouter(names, List.of(StorePattern.parse("mixed:m/"),
                StorePattern.parse("pre-{topic}-post:.*")));
        assertThat(router.kafkaTopicsFor("m/a")).containsExactly("tailbus-mixed", "tailbus-pre-m_2Fa-post");
        assertThat(router.isHome("tailbus-mixed", "m/a")).isTrue();
        assertThat(router.mayHold("tailbus-mixed", t -> false)).as("holds any topic of its pattern").isTrue();
        assertThat(router.mayHold("tailbus-pre-z-post", t -> t.equals("z"))).isTrue();
        assertThat(router.mayHold("tailbus-pre-z-post", t -> t.equals("y"))).isFalse();
        assertThat(router.mayHold("tailbus-pre-m_2Fa-post", t -> true)).as("not the home of m/a").isFalse();
        assertThat(router.mayHold("tailbus-unknown", t -> true)).isFalse();
    }

    @Property
    void shouldRoundTripAResumeToken(@ForAll @Size(max = 40) Map<@LongRange(min = 1, max = 32767) Long,
            @LongRange(min = 0, max = (1L << 40) - 1) Long> raw, @ForAll @LongRange(min = 0, max = 255) long partition) {
        Map<Long, Long> next = new TreeMap<>();
        raw.forEach((code, offset) -> next.put(Positions.base(code.intValue(), (int) partition), offset));
        assertThat(ResumeToken.decode(ResumeToken.encode(next))).isEqualTo(next);
    }

    @Property
    void shouldKeepTheSameTokenAsTheMapOfNextOffsets(@ForAll @Size(max = 200) List<@LongRange(min = 0, max = 2000) Long> steps,
                                                    @ForAll @Size(min = 1, max = 12) List<@LongRange(min = 1, max = 32767) Long> codes) {
        NextOffsets kept = new NextOffsets();
        Map<Long, Long> next = new TreeMap<>();
        for (int i = 0; i < steps.size(); i++) {
            long base = Positions.base(codes.get(i % codes.size()).intValue(), (int) (steps.get(i) % 3));
            long offset = steps.get(i) * 1_000_003L;
            switch (i % 3) {
                case 0 -> {
                    int predicted = kept.tokenSizeAfter(base, offset);
                    kept.put(base, offset);
                    assertThat(kept.tokenSize()).as("the size told before the change").isEqualTo(predicted);
                    next.put(base, offset);
                }
                case 1 -> {
                    kept.putIfAbsent(base, offset);
                    next.putIfAbsent(base, offset);
                }
                default -> {
                    kept.lowerTo(base, offset);
                    next.merge(base, offset, Math::min);
                }
            }
            assertThat(kept.token()).isEqualTo(ResumeToken.encode(next));
        }
        assertThat(kept.toMap()).isEqualTo(next);
        byte[] inPlace = new byte[kept.tokenSize() + 3];
        assertThat(kept.writeToken(inPlace, 3)).isEqualTo(inPlace.length);
        assertThat(java.util.Arrays.copyOfRange(inPlace, 3, inPlace.length)).isEqualTo(ResumeToken.encode(next));
    }

    @Property
    void shouldRefuseBytesThatAreNoToken(@ForAll byte[] junk) {
        try {
            ResumeToken.decode(junk);
        } catch (KafkaLogException e) {
            assertThat(e.kind()).isEqualTo(Kind.BAD_INPUT);
        }
    }

    @Example
    void shouldLayOutPositionsAsDrawn() {
        long base = Positions.base(3, 7);
        long position = Positions.of(base, 41);
        assertThat(position).isEqualTo(3L << 48 | 7L << 40 | 42);
        assertThat(Positions.codeOf(position)).isEqualTo(3);
        assertThat(Positions.partitionOf(position)).isEqualTo(7);
        assertThat(Positions.low(position)).isEqualTo(42);
        assertThat(Positions.baseOf(position)).isEqualTo(base);
        assertThatThrownBy(() -> Positions.base(1, 256)).isInstanceOf(KafkaLogException.class);
    }
}
