package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogObserverTest {
    @TempDir
    Path root;

    /** Records what the log tells it. */
    static final class Recorder implements LogObserver {
        final List<Integer> written = new CopyOnWriteArrayList<>();
        final List<Long> forced = new CopyOnWriteArrayList<>();

        @Override
        public void written(int events, long nanos) {
            assertThat(nanos).isPositive();
            written.add(events);
        }

        @Override
        public void forced(long nanos) {
            assertThat(nanos).isPositive();
            forced.add(nanos);
        }
    }

    @Test
    void shouldHearEveryWrittenGroupAndEveryForceWithBatchFlushing() {
        Recorder heard = new Recorder();
        try (EventLog log = EventLog.open(LogConfig.builder(root).pattern("all:.*").flush(FlushPolicy.parse("batch"))
                .observer(heard).build())) {
            log.append(List.of(EventLogTest.event("a", 1, "x"), EventLogTest.event("b", 2, "y")));
            log.append(List.of(EventLogTest.event("a", 3, "z")));
        }
        assertThat(heard.written).containsExactly(2, 1);
        assertThat(heard.forced).hasSize(2);
    }

    @Test
    void shouldHearNoForceWhenTheOsDecides() {
        Recorder heard = new Recorder();
        try (EventLog log = EventLog.open(LogConfig.builder(root).observer(heard).build())) {
            log.append(List.of(EventLogTest.event("a", 1, "x")));
        }
        assertThat(heard.written).containsExactly(1);
        assertThat(heard.forced).isEmpty();
    }

    @Test
    void shouldHearThePeriodicFlushersForces() {
        Recorder heard = new Recorder();
        try (EventLog log = EventLog.open(LogConfig.builder(root).flush(FlushPolicy.parse("20"))
                .observer(heard).build())) {
            log.append(List.of(EventLogTest.event("a", 1, "x")));
            await().atMost(Duration.ofSeconds(10)).until(() -> !heard.forced.isEmpty());
        }
        assertThat(heard.written).containsExactly(1);
    }
}
