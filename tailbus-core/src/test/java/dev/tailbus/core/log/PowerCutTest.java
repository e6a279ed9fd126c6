package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * A power cut at a random moment: the store is copied as the operating system has it while the
 * log is open, then every byte not known to be forced is lost, from a random point of each file
 * on (data and index alike; the positions file is written durably, so it stays). The copy is then
 * opened as the store would be after the cut.
 *
 * <p>With the {@code none} policy nothing of the segments is forced; with {@code batch} every
 * acknowledged batch's data is. Whatever is lost, positions only grow across the cut (none that
 * was handed out is handed out again), nothing acknowledged under {@code batch} is missing, no
 * torn or foreign record is served, and {@code tailbus store verify} finds the recovered store clean.
 */
class PowerCutTest {
    @Property(tries = 30)
    void shouldNeverHandOutAPositionAgainAndKeepWhatBatchForcedWhateverAPowerCutLoses(
            @ForAll @IntRange(min = 1, max = 12) int batches, @ForAll boolean batchPolicy,
            @ForAll @IntRange(min = 0, max = 1000) int seed) throws IOException {
        Random random = new Random(seed);
        Path live = Files.createTempDirectory("tailbus-power");
        Path after = Files.createTempDirectory("tailbus-power-after");
        try {
            LogConfig config = LogConfig.builder(live).pattern("{topic}:.*").pattern("all:a")
                    .rotateAboveBytes(400).flush(batchPolicy ? FlushPolicy.BATCH : FlushPolicy.NONE).build();
            Map<Long, byte[]> acknowledged = new HashMap<>();
            long highest = 0;
            Map<Path, Long> forced = new HashMap<>();
            try (EventLog log = EventLog.open(config)) {
                for (int b = 0; b < batches; b++) {
                    List<EventToAppend> batch = new ArrayList<>();
                    for (int i = random.nextInt(20); i >= 0; i--) {
                        String topic = new String[] {"a", "b/c", "d"}[random.nextInt(3)];
                        batch.add(EventLogTest.event(topic, b * 100L + i, topic + "-" + b + "-" + i));
                    }
                    for (AppendedEvent e : log.append(batch)) {
                        acknowledged.put(e.position(), e.event());
                        highest = Math.max(highest, e.position());
                    }
                    if (batchPolicy) {
                        for (Path segment : files(live)) {
                            if (SegmentFiles.isSegment(segment.getFileName().toString())) {
                                forced.put(live.relativize(segment), Files.size(segment));
                            }
                        }
                    }
                }
                copyLosingUnforced(live, after, forced, random);
            }
            try (EventLog log = EventLog.open(LogConfig.builder(after).pattern("{topic}:.*").pattern("all:a")
                    .rotateAboveBytes(400).build())) {
                List<StoredEvent> read = EventLogTest.drain(log.readAfter(t -> true, 0));
                long previous = 0;
                for (StoredEvent e : read) {
                    assertThat(e.position()).isGreaterThan(previous);
                    previous = e.position();
                    // an event served after the cut is one that was acknowledged, byte for byte
                    assertThat(acknowledged).containsKey(e.position());
                    assertThat(e.event()).isEqualTo(acknowledged.get(e.position()));
                }
                if (batchPolicy) {
                    assertThat(read).extracting(StoredEvent::position)
                            .containsExactlyElementsOf(acknowledged.keySet().stream().sorted().toList());
                }
                long next = log.append(List.of(EventLogTest.event("d", 1, "after the cut"))).getFirst().position();
                assertThat(next).as("a position handed out before the cut").isGreaterThan(highest);
            }
            StoreInspector.Report report = StoreInspector.verify(after);
            assertThat(report.problems()).isEmpty();
        } finally {
            deleteTree(live);
            deleteTree(after);
        }
    }

    /**
     * Copies the store, each segment and index cut at a random point at or after what was forced
     * (the positions file whole: it is only ever replaced durably).
     */
    private static void copyLosingUnforced(Path from, Path to, Map<Path, Long> forced, Random random)
            throws IOException {
        for (Path file : files(from)) {
            Path relative = from.relativize(file);
            Path target = to.resolve(relative);
            Files.createDirectories(target.getParent());
            Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
            String name = file.getFileName().toString();
            if (name.equals(SegmentFiles.RESERVED_NAME) || name.equals(SegmentFiles.LOCK_NAME)) {
                continue;
            }
            long size = Files.size(target);
            long kept = forced.getOrDefault(relative, 0L);
            long cut = kept >= size ? size : kept + (long) (random.nextDouble() * (size - kept + 1));
            try (FileChannel c = FileChannel.open(target, StandardOpenOption.WRITE)) {
                c.truncate(Math.min(size, cut));
            }
        }
    }

    private static List<Path> files(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
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
