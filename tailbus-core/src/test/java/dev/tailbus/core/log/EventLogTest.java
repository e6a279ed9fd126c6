package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {
    @TempDir
    Path root;

    static EventToAppend event(String topic, long time, String payload) {
        return new EventToAppend(topic, time,
                EventWire.minimalEvent(topic, time, payload.getBytes(StandardCharsets.UTF_8)));
    }

    static List<StoredEvent> drain(LogReader reader) {
        List<StoredEvent> out = new ArrayList<>();
        for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
            out.add(e);
        }
        return out;
    }

    @Test
    void shouldAssignGrowingPositionsAndReadThemBackAfterReopening() {
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            List<AppendedEvent> a = log.append(List.of(event("a", 10, "1"), event("b", 20, "2"), event("a", 30, "3")));
            assertThat(a).extracting(AppendedEvent::position).containsExactly(1L, 2L, 3L);
            assertThat(a).allMatch(AppendedEvent::stored);
            assertThat(log.lastPosition()).isEqualTo(3);
        }
        assertThat(root.resolve("a.pb")).exists();
        assertThat(root.resolve("b.pb")).exists();
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(log.lastPosition()).isEqualTo(3);
            assertThat(log.append(List.of(event("b", 40, "4")))).extracting(AppendedEvent::position).containsExactly(4L);
            try (LogReader r = log.readAfter(t -> true, 0)) {
                List<StoredEvent> all = drain(r);
                assertThat(all).extracting(StoredEvent::position).containsExactly(1L, 2L, 3L, 4L);
                assertThat(all).extracting(StoredEvent::topic).containsExactly("a", "b", "a", "b");
                assertThat(all).extracting(StoredEvent::receiveTimeNanos).containsExactly(10L, 20L, 30L, 40L);
                EventWire.Fields f = new EventWire.Fields();
                assertThat(EventWire.parse(all.get(2).event(), 0, all.get(2).event().length, f)).isTrue();
                assertThat(f.position).isEqualTo(3);
            }
            try (LogReader r = log.readAfter(t -> t.equals("b"), 2)) {
                assertThat(drain(r)).extracting(StoredEvent::position).containsExactly(4L);
            }
        }
    }

    @Test
    void shouldReturnTheLastEventsOfEachMatchingTopicUpToAPosition() {
        try (EventLog log = EventLog.open(LogConfig.builder(root).pattern("all:.*").build())) {
            for (int i = 0; i < 10; i++) {
                log.append(List.of(event(i % 2 == 0 ? "even" : "odd", i, "p" + i)));
            }
            assertThat(log.lastPerTopic(t -> true, 2, 8).toList()).extracting(StoredEvent::position)
                    .containsExactly(5L, 6L, 7L, 8L);
            assertThat(log.lastPerTopic(t -> t.equals("odd"), 3, 10).toList()).extracting(StoredEvent::position)
                    .containsExactly(6L, 8L, 10L);
        }
    }

    @Test
    void shouldTellListenersTheLastPositionAfterEachBatch() throws Exception {
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            AtomicLong seen = new AtomicLong();
            try (AutoCloseable sub = log.onAppend(seen::set)) {
                log.append(List.of(event("a", 1, "x"), event("a", 2, "y")));
                assertThat(seen.get()).isEqualTo(2);
            }
        }
    }

    @Test
    void shouldGivePositionsToEventsNoPatternStoresWithoutWritingThem() {
        try (EventLog log = EventLog.open(LogConfig.builder(root).pattern("x:x").build())) {
            List<AppendedEvent> a = log.append(List.of(event("y", 1, "1"), event("x", 2, "2")));
            assertThat(a).extracting(AppendedEvent::stored).containsExactly(false, true);
            assertThat(a).extracting(AppendedEvent::position).containsExactly(1L, 2L);
        }
        assertThat(root.resolve("y.pb")).doesNotExist();
    }

    @Test
    void shouldNeverGiveAgainThePositionsOfUnstoredEventsAfterARestart() {
        LogConfig config = LogConfig.builder(root).pattern("x:x").build();
        try (EventLog log = EventLog.open(config)) {
            log.append(List.of(event("x", 1, "1"), event("y", 2, "2"), event("y", 3, "3")));
            assertThat(log.lastPosition()).isEqualTo(3);
        }
        try (EventLog log = EventLog.open(config)) {
            long next = log.append(List.of(event("x", 4, "4"))).getFirst().position();
            assertThat(next).isGreaterThan(3);
            assertThat(drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position).containsExactly(1L, next);
        }
    }

    @Test
    void shouldRejectTopicsThatWouldEscapeTheRoot() throws IOException {
        for (String bad : List.of("", "../x", "a/../../x", "/etc/passwd", "a\0b", "a//b", "a/", ".")) {
            assertThatThrownBy(() -> EventLog.checkTopic(bad)).isInstanceOf(LogException.class)
                    .extracting(e -> ((LogException) e).kind()).isEqualTo(Kind.BAD_INPUT);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThatThrownBy(() -> log.append(List.of(event("../escape", 1, "x"))))
                    .isInstanceOf(LogException.class).hasMessageContaining("invalid topic");
        }
        try (var files = Files.list(root.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("escape.pb");
        }
    }
}
