package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import org.junit.jupiter.api.Test;

class TopicPatternsTest {
    @Test
    void shouldMatchAtTheStartOnlyLikePythonReMatch() {
        var p = TopicPatterns.compile("sensor");
        assertThat(TopicPatterns.matches(p, "sensor/1")).isTrue();
        assertThat(TopicPatterns.matches(p, "my/sensor")).isFalse();
    }

    @Test
    void shouldTranslatePythonNamedGroupsAndBackReferences() {
        var p = TopicPatterns.compile("(?P<a>x+)-(?P=a)$");
        assertThat(TopicPatterns.matches(p, "xx-xx")).isTrue();
        assertThat(TopicPatterns.matches(p, "xx-x")).isFalse();
    }

    @Test
    void shouldLeaveEscapesAndCharacterClassesAlone() {
        assertThat(TopicPatterns.translate("\\(?P<a>[(?P<]")).isEqualTo("\\(?P<a>[(?P<]");
    }

    @Test
    void shouldRejectAnInvalidRegexAsBadInput() {
        assertThatThrownBy(() -> TopicPatterns.compile("a(b"))
                .isInstanceOf(LogException.class)
                .hasMessageContaining("invalid topic regex")
                .extracting(e -> ((LogException) e).kind()).isEqualTo(Kind.BAD_INPUT);
    }

    @Test
    void shouldSplitAStorePatternAtTheFirstColon() {
        StorePattern p = StorePattern.parse("all/{topic}:a:b.*");
        assertThat(p.filePrefix()).isEqualTo("all/{topic}");
        assertThat(p.matches("a:bc")).isTrue();
        assertThat(p.prefixFor("x")).isEqualTo("all/x");
        assertThatThrownBy(() -> StorePattern.parse("nocolon")).isInstanceOf(LogException.class);
        assertThatThrownBy(() -> StorePattern.parse(":x")).isInstanceOf(LogException.class);
    }
}
