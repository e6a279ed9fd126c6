package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A reader over many partitions holds a bounded amount of memory however deep the history and
 * however long it reads: its cursors share one budget ({@link PartitionCursor#READER_BYTES}),
 * instead of each growing its chunks to the most one cursor alone may read.
 */
class ReaderMemoryTest {
    private static final int TOPICS = 1000;
    private static final int ROUNDS = 100;

    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lastPerTopic", "readAfter"})
    void shouldHoldABoundedBudgetWhileReadingEveryTopicsWholeHistoryRoundRobin(String query) throws IOException {
        try (EventLog log = EventLog.open(LogConfig.builder(root).maxOpenFiles(2 * TOPICS + 100).build())) {
            for (int round = 0; round < ROUNDS; round++) {
                List<EventToAppend> batch = new ArrayList<>(TOPICS);
                for (int t = 0; t < TOPICS; t++) {
                    batch.add(EventLogTest.event("s/" + t, round, "round " + round + " of topic " + t));
                }
                log.append(batch);
            }
            LogReader reader = query.equals("lastPerTopic")
                    ? log.lastPerTopic(t -> true, 1_000_000, log.lastPosition())
                    : log.readAfter(t -> true, 0);
            long events = 0;
            long held = 0;
            long previous = 0;
            for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
                assertThat(e.position()).isGreaterThan(previous);
                previous = e.position();
                if (events++ % 500 == 0) {
                    held = Math.max(held, ((MergedReader) reader).heldBytes());
                }
            }
            assertThat(events).isEqualTo((long) TOPICS * ROUNDS);
            // the budget, and at most one event and one index entry per cursor beyond it
            assertThat(held).isLessThanOrEqualTo(PartitionCursor.READER_BYTES + TOPICS * (2L * 200 + IndexEntry.SIZE));
        }
    }
}
