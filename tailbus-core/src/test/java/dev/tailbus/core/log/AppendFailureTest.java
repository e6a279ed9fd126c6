package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A write that fails (simulated by closing the writer's channel of a live segment under it, as a
 * device error or a read-only remount would make it fail) fails the log: no more appends, readers
 * keep what was visible, and a reopen recovers every acknowledged event.
 */
class AppendFailureTest {
    @TempDir
    Path root;

    private static Partition partitionOf(EventLog log, String prefix) {
        for (Partition p : log.partitions()) {
            if (p.prefix.equals(prefix)) {
                return p;
            }
        }
        throw new AssertionError("no partition " + prefix);
    }

    private static List<Long> positions(LogReader reader) {
        return EventLogTest.drain(reader).stream().map(StoredEvent::position).toList();
    }

    @Test
    void shouldWriteNothingMoreThroughASegmentWriterWhoseWriteFailed() throws Exception {
        Segment segment = Segment.open(root.resolve("w.pb"), new OpenFiles(8));
        try {
            segment.indexChannel().write(IndexEntry.header(), 0);
            SegmentWriter writer = new SegmentWriter(segment, new WriteBuffers());
            writer.append("w", 1, 1, EventLogTest.event("w", 1, "one").event());
            writer.flush();
            writer.append("w", 2, 2, EventLogTest.event("w", 2, "two").event());
            segment.dataChannel().close();
            assertThatThrownBy(writer::flush).isInstanceOf(java.nio.channels.ClosedChannelException.class);
            // the buffers' state is unknown after a failed write: the writer refuses to go on
            assertThatThrownBy(() -> writer.append("w", 3, 3, EventLogTest.event("w", 3, "three").event()))
                    .isInstanceOf(java.io.IOException.class).hasMessageContaining("an earlier write to");
            assertThatThrownBy(writer::flush).isInstanceOf(java.io.IOException.class)
                    .hasMessageContaining("an earlier write to");
        } finally {
            segment.close();
        }
        // only the record written before the failure is in the file
        assertThat(ReferenceCompatibilityTest.readReferenceFormat(root.resolve("w.pb"))).hasSize(1);
    }

    @ParameterizedTest(name = "{0} channel, flush {1}")
    @CsvSource({"data, batch", "index, batch", "data, none", "index, none"})
    void shouldRefuseEveryAppendAfterAFailedWriteAndRecoverEveryAcknowledgedEventOnReopen(String file, String flush)
            throws Exception {
        LogConfig config = LogConfig.builder(root).flush(FlushPolicy.parse(flush)).build();
        List<Long> acknowledged = new ArrayList<>();
        Path failing;
        try (EventLog log = EventLog.open(config)) {
            for (int i = 0; i < 5; i++) {
                acknowledged.add(log.append(List.of(EventLogTest.event("t", i, "t" + i),
                        EventLogTest.event("u", i, "u" + i))).get(1).position());
                acknowledged.add(acknowledged.getLast() - 1);
            }
            acknowledged.sort(null);
            Segment live = partitionOf(log, "t").live();
            failing = live.dataPath();
            FileChannel channel = file.equals("data") ? live.dataChannel() : live.indexChannel();
            channel.close();

            assertThatThrownBy(() -> log.append(List.of(EventLogTest.event("u", 9, "u9"),
                    EventLogTest.event("t", 9, "t9"))))
                    .isInstanceOf(LogException.class)
                    .hasMessageContaining(failing.toString())
                    .hasMessageContaining("open it again")
                    .extracting(e -> ((LogException) e).kind()).isEqualTo(Kind.IO);
            // every later append throws, to any partition, naming the file and the first failure
            for (String topic : List.of("t", "u", "new")) {
                assertThatThrownBy(() -> log.append(List.of(EventLogTest.event(topic, 10, "later"))))
                        .isInstanceOf(LogException.class)
                        .hasMessageContaining(failing.toString())
                        .hasMessageContaining("ClosedChannelException")
                        .hasMessageContaining("open it again")
                        .extracting(e -> ((LogException) e).kind()).isEqualTo(Kind.UNAVAILABLE);
            }
            // readers keep reading exactly what was acknowledged
            assertThat(log.lastPosition()).isEqualTo(10);
            assertThat(positions(log.readAfter(t -> true, 0))).isEqualTo(acknowledged);
            assertThat(log.lastPerTopic(t -> true, 1, Long.MAX_VALUE).toList()).extracting(StoredEvent::position)
                    .containsExactly(9L, 10L);
        }
        try (EventLog log = EventLog.open(config)) {
            List<Long> recovered = positions(log.readAfter(t -> true, 0));
            // every acknowledged event, in order; the failed batch may be there too, wholly or in part,
            // when some of it reached the files before the failure, but never in a torn state
            assertThat(recovered).startsWith(acknowledged.toArray(Long[]::new)).isSorted().doesNotHaveDuplicates();
            assertThat(recovered.size()).isLessThanOrEqualTo(acknowledged.size() + 2);
            long next = log.append(List.of(EventLogTest.event("t", 11, "again"))).get(0).position();
            // after the positions reserved before the failure: a gap, never a position given twice
            assertThat(next).isGreaterThan(recovered.getLast() + 1);
            assertThat(positions(log.readAfter(t -> t.equals("t"), 0))).endsWith(next);
        }
    }
}
