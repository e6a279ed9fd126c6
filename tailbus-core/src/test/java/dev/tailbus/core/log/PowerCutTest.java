package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A power cut at a random moment: the log runs on a file layer that records what was forced
 * ({@link PowerLossFiles}), and before its k-th write, cut or force (in the middle of an append,
 * a rotation, a close or the recovery of a reopen) the store is copied as the cut would leave it:
 * every byte not known to be forced lost from a random point of each file on. The copy is then
 * opened as the store would be after the cut.
 *
 * <p>With the {@code none} policy only rotations force segments; with {@code batch} every
 * acknowledged batch's data is forced. Whatever is lost, positions only grow across the cut (none
 * that was handed out is handed out again), nothing acknowledged under {@code batch} before the
 * cut is missing, no torn or foreign record is served (each event served is one that was appended,
 * byte for byte), and {@code tailbus store verify} finds the recovered store clean.
 */
class PowerCutTest {
    private static final String[] TOPICS = {"a", "b/c", "d"};

    @Property(tries = 60)
    void shouldNeverHandOutAPositionAgainAndKeepWhatBatchForcedWhateverAPowerCutLoses(
            @ForAll @IntRange(min = 1, max = 12) int batches, @ForAll boolean batchPolicy,
            @ForAll @IntRange(min = 1, max = 250) int cutAt, @ForAll @IntRange(min = 0, max = 1000) int seed)
            throws IOException {
        Random random = new Random(seed);
        Path live = Files.createTempDirectory("tailbus-power");
        Path after = Files.createTempDirectory("tailbus-power-after");
        try {
            PowerLossFiles files = new PowerLossFiles();
            LogConfig config = config(live).flush(batchPolicy ? FlushPolicy.BATCH : FlushPolicy.NONE)
                    .fileLayer(files).build();
            Map<Long, byte[]> appended = new HashMap<>();
            List<Long> acknowledged = new ArrayList<>();
            long[] acknowledgedAtCut = {-1};
            long[] highestAtCut = {0};
            files.beforeEveryChange(() -> {
                if (acknowledgedAtCut[0] < 0 && files.changes() >= cutAt) {
                    cut(files, live, after, random);
                    acknowledgedAtCut[0] = acknowledged.size();
                    highestAtCut[0] = acknowledged.isEmpty() ? 0 : acknowledged.getLast();
                }
            });
            int reopenAt = batches / 2;
            EventLog log = EventLog.open(config);
            try {
                for (int b = 0; b < batches; b++) {
                    if (b == reopenAt) {
                        log.close(); // the reopen's recovery runs on the file layer too
                        log = EventLog.open(config);
                    }
                    List<EventToAppend> batch = new ArrayList<>();
                    for (int i = random.nextInt(20); i >= 0; i--) {
                        String topic = TOPICS[random.nextInt(TOPICS.length)];
                        batch.add(EventLogTest.event(topic, b * 100L + i, topic + "-" + b + "-" + i));
                    }
                    for (AppendedEvent e : log.append(batch)) {
                        appended.put(e.position(), e.event());
                        acknowledged.add(e.position());
                    }
                }
            } finally {
                log.close();
            }
            if (acknowledgedAtCut[0] < 0) {
                // the run made fewer changes than the cut waited for: the power goes after the close
                cut(files, live, after, random);
                acknowledgedAtCut[0] = acknowledged.size();
                highestAtCut[0] = acknowledged.isEmpty() ? 0 : acknowledged.getLast();
            }
            long highestServed = 0;
            try (EventLog reopened = EventLog.open(config(after).build())) {
                List<StoredEvent> read = EventLogTest.drain(reopened.readAfter(t -> true, 0));
                long previous = 0;
                for (StoredEvent e : read) {
                    assertThat(e.position()).isGreaterThan(previous);
                    previous = e.position();
                    // an event served after the cut is one that was appended, byte for byte
                    assertThat(appended).containsKey(e.position());
                    assertThat(e.event()).isEqualTo(appended.get(e.position()));
                }
                highestServed = previous;
                if (batchPolicy) {
                    assertThat(read).extracting(StoredEvent::position)
                            .containsAll(acknowledged.subList(0, (int) acknowledgedAtCut[0]));
                }
                long next = reopened.append(List.of(EventLogTest.event("d", 1, "after the cut"))).getFirst().position();
                assertThat(next).as("a position handed out before the cut")
                        .isGreaterThan(Math.max(highestAtCut[0], highestServed));
            }
            StoreInspector.Report report = StoreInspector.verify(after);
            assertThat(report.problems()).isEmpty();
        } finally {
            deleteTree(live);
            deleteTree(after);
        }
    }

    private static LogConfig.Builder config(Path root) {
        return LogConfig.builder(root).pattern("{topic}:.*").pattern("all:a").rotateAboveBytes(400);
    }

    private static void cut(PowerLossFiles files, Path live, Path after, Random random) {
        try {
            files.copyAfterPowerCut(live, after, random);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
