package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.core.log.AppendedEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class AppendSequencerTest {
    private final List<Long> announced = new ArrayList<>();
    private final AppendSequencer sequencer = new AppendSequencer(10,
            batch -> batch.forEach(e -> announced.add(e.position())));

    private static List<AppendedEvent> batch(long from, long to) {
        return LongStream.rangeClosed(from, to)
                .mapToObj(p -> new AppendedEvent(p, "t", 0, new byte[0], true)).toList();
    }

    @Test
    void shouldHoldABatchThatReturnedFirstUntilTheBatchBeforeItIsAnnounced() {
        long a = sequencer.enter();
        long b = sequencer.enter();
        // b got the later positions but its append returned first
        assertThat(sequencer.complete(b, batch(14, 16))).isFalse();
        assertThat(sequencer.announced()).isEqualTo(10);
        assertThat(announced).isEmpty();
        assertThat(sequencer.complete(a, batch(11, 13))).isTrue();
        assertThat(announced).containsExactly(11L, 12L, 13L, 14L, 15L, 16L);
        assertThat(sequencer.announced()).isEqualTo(16);
    }

    @Test
    void shouldAnnounceAcrossAGapOnceEveryEarlierAppendHasCompleted() {
        long failed = sequencer.enter();
        long ok = sequencer.enter();
        // positions 11..12 went to an append that failed: 13 is not next, but may go once it is known
        assertThat(sequencer.complete(ok, batch(13, 14))).isFalse();
        assertThat(sequencer.complete(failed, List.of())).isTrue();
        assertThat(announced).containsExactly(13L, 14L);
    }

    @Test
    void shouldNotWaitForAppendsThatEnteredAfterABatchReturned() {
        long first = sequencer.enter();
        long gap = sequencer.enter();
        assertThat(sequencer.complete(first, batch(20, 21))).isFalse(); // a gap: 'gap' may still fill 11..19
        long later = sequencer.enter(); // entered after 'first' returned: its positions are all above 21
        assertThat(sequencer.complete(gap, batch(11, 19))).isTrue();
        assertThat(announced).containsExactlyElementsOf(LongStream.rangeClosed(11, 21).boxed().toList());
        assertThat(sequencer.complete(later, batch(23, 23))).isTrue();
        assertThat(sequencer.announced()).isEqualTo(23);
    }

    @Test
    void shouldTakeAnotherWritersPositionOnlyWhileNoAppendOfOurOwnIsUnderWay() {
        long mine = sequencer.enter();
        assertThat(sequencer.visible(30)).isFalse();
        sequencer.complete(mine, batch(11, 11));
        assertThat(sequencer.visible(30)).isTrue();
        assertThat(sequencer.announced()).isEqualTo(30);
        assertThat(announced).containsExactly(11L);
    }
}
