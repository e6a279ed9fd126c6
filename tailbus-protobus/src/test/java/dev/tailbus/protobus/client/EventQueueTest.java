package dev.tailbus.protobus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventQueueTest {
    private final AtomicInteger consumed = new AtomicInteger();
    private final EventQueue queue = new EventQueue(consumed::incrementAndGet);

    private static BusEvent event(long position) {
        return new BusEvent("t", null, null, null, null, position, null);
    }

    @Test
    void shouldDeliverEveryEventOfEveryChunkInOrderThenTheEnd() throws Exception {
        queue.add(new BusEvent[] {event(1), event(2)});
        queue.add(new BusEvent[] {event(3)});
        queue.end(null);
        assertThat(queue.waiting()).isEqualTo(3);
        assertThat(queue.poll(null).position()).isEqualTo(1);
        assertThat(consumed).hasValue(0); // the first chunk is not done yet
        assertThat(queue.poll(null).position()).isEqualTo(2);
        assertThat(consumed).hasValue(1);
        assertThat(queue.waiting()).isEqualTo(1);
        assertThat(queue.poll(null).position()).isEqualTo(3);
        assertThat(queue.isEnded()).isFalse();
        assertThat(queue.poll(null)).isNull();
        assertThat(queue.isEnded()).isTrue();
        assertThat(queue.poll(Duration.ZERO)).isNull(); // and every later call
    }

    @Test
    void shouldThrowAFailedEndAfterTheEventsBeforeItAndAgainLater() throws Exception {
        queue.add(new BusEvent[] {event(1)});
        queue.end(new BusException(Kind.UNAVAILABLE, "gone"));
        assertThat(queue.poll(Duration.ofSeconds(1)).position()).isEqualTo(1);
        assertThatThrownBy(() -> queue.poll(null)).hasMessage("gone");
        assertThatThrownBy(() -> queue.poll(null)).hasMessage("gone");
    }

    @Test
    void shouldAnswerNullWhenNothingCameInTime() throws Exception {
        assertThat(queue.poll(Duration.ofMillis(1))).isNull();
        assertThat(queue.isEnded()).isFalse();
    }

    @Test
    void shouldTellTheResumeTokenOfTheLastEventTaken() throws Exception {
        assertThat(queue.takenToken()).isNull();
        queue.add(new BusEvent[] {event(1), event(2)}, new byte[][] {{1}, {2}});
        queue.poll(null);
        assertThat(queue.takenToken()).containsExactly(1);
        queue.poll(null);
        assertThat(queue.takenToken()).containsExactly(2);
    }
}
