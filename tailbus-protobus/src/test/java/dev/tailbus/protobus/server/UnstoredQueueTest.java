package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.core.log.AppendedEvent;
import org.junit.jupiter.api.Test;

class UnstoredQueueTest {
    private static AppendedEvent event(long position, String topic, int size) {
        return new AppendedEvent(position, topic, 0, new byte[size], false);
    }

    @Test
    void shouldDropWhatLiesAtOrBeforeThePositionAskedAfter() {
        UnstoredQueue q = new UnstoredQueue(1000);
        for (long p = 1; p <= 5; p++) {
            assertThat(q.offer(event(p, "live.b", 10))).isTrue();
        }
        assertThat(q.peekAfter(3).position()).isEqualTo(4);
        q.poll();
        assertThat(q.peekAfter(4).position()).isEqualTo(5);
        q.poll();
        assertThat(q.peekAfter(5)).isNull();
    }

    @Test
    void shouldOverflowForGoodNamingTheTopicOfTheFirstEventThatDidNotFit() {
        UnstoredQueue q = new UnstoredQueue(100);
        assertThat(q.offer(event(1, "live.a", 60))).isTrue();
        q.poll(); // taken: its bytes no longer count
        assertThat(q.offer(event(2, "live.a", 60))).isTrue();
        assertThat(q.overflowTopic()).isNull();
        assertThat(q.offer(event(3, "live.c", 60))).isFalse();
        assertThat(q.overflowTopic()).isEqualTo("live.c");
        assertThat(q.offer(event(4, "live.a", 1))).isFalse();
        assertThat(q.peekAfter(0)).isNull(); // nothing kept once it overflowed
    }
}
