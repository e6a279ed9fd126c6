package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.log.LogException;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopicFilterTest {
    @Test
    void shouldMatchAnyExpressionAtTheTopicsStartAsPythonsReMatch() {
        TopicFilter filter = TopicFilter.of(List.of("sensors/", "a.c$"));
        assertThat(filter.test("sensors/t1")).isTrue();
        assertThat(filter.test("abc")).isTrue();
        assertThat(filter.test("abcd")).isFalse();
        assertThat(filter.test("my/sensors/t1")).isFalse();
        assertThat(filter.test("sensor")).isFalse();
    }

    @Test
    void shouldUnderstandPythonNamedGroups() {
        TopicFilter filter = TopicFilter.of(List.of("(?P<x>[a-z])-(?P=x)"));
        assertThat(filter.test("a-a/more")).isTrue();
        assertThat(filter.test("a-b")).isFalse();
    }

    @Test
    void shouldMatchEveryTopicWithoutExpressions() {
        assertThat(TopicFilter.of(List.of()).test("anything")).isTrue();
    }

    @Test
    void shouldNameTheInvalidExpression() {
        assertThatThrownBy(() -> TopicFilter.of(List.of("fine", "bro(ken")))
                .isInstanceOf(LogException.class).hasMessageContaining("'bro(ken'");
    }

    @Test
    void shouldMatchOnlyTopicsBothItsExpressionsAndTheAllowedPatternMatchWhenNarrowed() {
        TopicFilter narrowed = TopicFilter.of(List.of()).within(java.util.regex.Pattern.compile("sensors/|alerts/"));
        assertThat(narrowed.test("sensors/t1")).isTrue();
        assertThat(narrowed.test("alerts/fire")).isTrue();
        assertThat(narrowed.test("secret/x")).isFalse();
        TopicFilter wider = TopicFilter.of(List.of("secret/", "sensors/t")).within(java.util.regex.Pattern.compile("sensors/"));
        assertThat(wider.test("sensors/t1")).isTrue();
        assertThat(wider.test("secret/x")).isFalse();
        assertThat(wider.test("sensors/u")).isFalse();
        assertThat(TopicFilter.of(List.of()).within(null).test("anything")).as("no right: nothing").isFalse();
    }
}
