package dev.tailbus.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

class OffsetHeaderProperties {
    private static OptionalLong parse(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return OffsetHeader.parse(bytes, bytes.length);
    }

    @Property
    void shouldReadEveryLongWhateverTheSpacesAroundIt(@ForAll long offset, @ForAll("spaces") String before,
                                                      @ForAll("spaces") String after) {
        assertThat(parse(before + offset + after)).hasValue(offset);
    }

    @Property
    void shouldRefuseALineWithAnythingButDigitsAndALeadingSign(@ForAll long offset, @ForAll("junk") char junk,
                                                               @ForAll("positions") int at) {
        String digits = Long.toString(offset);
        int cut = Math.min(at, digits.length());
        assertThat(parse(digits.substring(0, cut) + junk + digits.substring(cut))).isEmpty();
    }

    @Example
    void shouldRefuseEmptySignsAndNumbersBeyondSixtyFourBits() {
        assertThat(parse("")).isEmpty();
        assertThat(parse("  ")).isEmpty();
        assertThat(parse("-")).isEmpty();
        assertThat(parse("+")).isEmpty();
        assertThat(parse("--1")).isEmpty();
        assertThat(parse("1 2")).isEmpty();
        assertThat(parse("9223372036854775808")).isEmpty();
        assertThat(parse("+12")).hasValue(12);
        assertThat(parse("-0")).hasValue(0);
    }

    @Property
    void shouldStartANegativeOffsetThatFarFromTheEndButNeverBeforeZero(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long size, @ForAll long requested) {
        long start = OffsetHeader.start(requested, size);
        if (requested >= 0) {
            assertThat(start).isEqualTo(requested);
        } else {
            assertThat(start).isBetween(0L, size);
            assertThat(start).isEqualTo(-requested >= size || requested == Long.MIN_VALUE ? 0 : size + requested);
        }
    }

    @Provide
    Arbitrary<String> spaces() {
        return Arbitraries.strings().withChars(' ', '\t', '\r').ofMaxLength(5);
    }

    @Provide
    Arbitrary<Character> junk() {
        return Arbitraries.chars().filter(c -> !Character.isDigit(c) && c != '-' && c != '+'
                && c != ' ' && c != '\t' && c != '\r' && c != 0x0b && c != '\f' && c < 128);
    }

    @Provide
    Arbitrary<Integer> positions() {
        return Arbitraries.integers().between(1, 20);
    }
}
