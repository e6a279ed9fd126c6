package dev.tailbus.protobus.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private long now = 1_000;
    private final Backoff backoff = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2), Duration.ofSeconds(1),
            Duration.ofSeconds(10), () -> now);

    private void advance(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void shouldDoubleTheDelayUpToItsMaximumWhileCallsFailAtOnce() {
        long[] delays = new long[8];
        for (int i = 0; i < delays.length; i++) {
            long start = backoff.now();
            advance(10);
            delays[i] = backoff.afterLoss(start, false);
            advance(delays[i]);
        }
        assertThat(delays).containsExactly(50, 100, 200, 400, 800, 1600, 2000, 2000);
    }

    @Test
    void shouldGiveUpOnceTheOutageLastedLongerThanTheLimit() {
        long start = backoff.now();
        assertThat(backoff.afterLoss(start, false)).isEqualTo(50);
        advance(9_000);
        assertThat(backoff.afterLoss(backoff.now(), false)).isPositive();
        advance(1_001);
        assertThat(backoff.afterLoss(backoff.now(), false)).isEqualTo(Backoff.GIVE_UP);
    }

    @Test
    void shouldStartAFreshOutageAfterACallThatWorkedOrStayedOpen() {
        backoff.afterLoss(backoff.now(), false);
        advance(5_000);
        backoff.afterLoss(backoff.now(), false);
        advance(4_000);
        // a call that delivered an event: the outage is over, the delays start again
        assertThat(backoff.afterLoss(backoff.now(), true)).isEqualTo(50);
        advance(9_500);
        long start = backoff.now();
        advance(1_500); // open for longer than the healthy time
        assertThat(backoff.afterLoss(start, false)).isEqualTo(50);
    }
}
