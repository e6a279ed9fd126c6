package dev.tailbus.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.core.log.StorePattern;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PrefixLabelsTest {
    private final PrefixLabels labels = new PrefixLabels(List.of(StorePattern.parse("sensors:sensors/.*"),
            StorePattern.parse("archive/{topic}/log:app\\..*"), StorePattern.parse("{topic}:x.*")));

    @Test
    void shouldLabelATopicByTheFirstPatternStoringItAndNoneWhenNoPatternDoes() {
        assertThat(labels.labels()).containsExactly("sensors", "archive/{topic}/log", "{topic}", "none");
        assertThat(labels.labels().get(labels.index("sensors/temp"))).isEqualTo("sensors");
        assertThat(labels.labels().get(labels.index("app.web"))).isEqualTo("archive/{topic}/log");
        assertThat(labels.labels().get(labels.index("xyz"))).isEqualTo("{topic}");
        assertThat(labels.labels().get(labels.index("other"))).isEqualTo("none");
        assertThat(labels.labels().get(labels.index(null))).isEqualTo("none");
    }

    @Test
    void shouldKeepTheLabelsBoundedWhateverTheNumberOfTopics() {
        IntStream.range(0, 20_000).forEach(i -> labels.index("x" + i));
        assertThat(IntStream.range(0, 20_000).map(i -> labels.index("x" + i)).distinct()).containsExactly(2);
    }

    @Test
    void shouldFindThePatternOfAStoreFileByItsPrefix() {
        assertThat(labels.ofFilePrefix("sensors")).isEqualTo("sensors");
        assertThat(labels.ofFilePrefix("archive/app.web/log")).isEqualTo("archive/{topic}/log");
        assertThat(labels.ofFilePrefix("xyz/deep")).isEqualTo("{topic}");
        assertThat(labels.ofFilePrefix("archive/app.web/other")).isEqualTo("{topic}");
    }
}
