package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotationRetentionTest {
    @TempDir
    Path root;

    private List<String> segmentNames() throws IOException {
        try (Stream<Path> files = Files.list(root)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pb")).sorted().toList();
        }
    }

    private static List<EventToAppend> batch(String topic, long time, int count) {
        List<EventToAppend> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(EventLogTest.event(topic, time + i, "x".repeat(50)));
        }
        return out;
    }

    @Test
    void shouldRotateBySizeIntoSegmentsNamedByFirstPositionThatLsSorts() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(1000).build();
        try (EventLog log = EventLog.open(config)) {
            for (int i = 0; i < 10; i++) {
                log.append(batch("s", i * 10, 5));
            }
            List<String> names = segmentNames();
            assertThat(names.size()).isGreaterThan(3);
            assertThat(names.getLast()).isEqualTo("s.pb");
            assertThat(names.getFirst()).isEqualTo("s.00000000000000000001.pb");
            for (String n : names) {
                assertThat(Files.size(root.resolve(n))).isLessThan(1000 + 200);
                assertThat(root.resolve(n + ".idx")).exists();
            }
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).hasSize(50);
        }
        try (EventLog log = EventLog.open(config)) {
            List<StoredEvent> all = EventLogTest.drain(log.readAfter(t -> true, 0));
            assertThat(all).extracting(StoredEvent::position).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, 50).boxed().toList());
            assertThat(log.lastPerTopic(t -> true, 12, 50).toList()).extracting(StoredEvent::position)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(39, 50).boxed().toList());
            try (LogReader r = log.readAfter(t -> true, 17)) {
                assertThat(r.next().position()).isEqualTo(18);
            }
        }
    }

    @Test
    void shouldRotateAtTheConfiguredUtcTimeOfDay() throws IOException {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T23:00:00Z"));
        LogConfig config = LogConfig.builder(root).rotateAtUtc(LocalTime.of(0, 0)).clock(clock).build();
        try (EventLog log = EventLog.open(config)) {
            log.append(batch("d", clock.nanos(), 3));
            clock.set(Instant.parse("2026-01-01T23:59:59Z"));
            log.append(batch("d", clock.nanos(), 2));
            assertThat(segmentNames()).containsExactly("d.pb");
            clock.set(Instant.parse("2026-01-02T00:00:01Z"));
            log.append(batch("d", clock.nanos(), 1));
            assertThat(segmentNames()).containsExactly("d.00000000000000000001.pb", "d.pb");
            clock.set(Instant.parse("2026-01-02T12:00:00Z"));
            log.append(batch("d", clock.nanos(), 1));
            assertThat(segmentNames()).containsExactly("d.00000000000000000001.pb", "d.pb");
        }
        clock.set(Instant.parse("2026-01-03T00:00:01Z"));
        try (EventLog log = EventLog.open(config)) {
            log.append(batch("d", clock.nanos(), 1));
            assertThat(segmentNames()).containsExactly("d.00000000000000000001.pb", "d.00000000000000000006.pb",
                    "d.pb");
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        }
    }

    @Test
    void shouldDeleteTheOldestSegmentsBeyondTheSizeLimit() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(1000).retainBytes(3000).build();
        try (EventLog log = EventLog.open(config)) {
            for (int i = 0; i < 40; i++) {
                log.append(batch("r", i * 10, 5));
            }
            long total = 0;
            for (String n : segmentNames()) {
                total += Files.size(root.resolve(n));
            }
            assertThat(total).isLessThanOrEqualTo(3000);
            assertThat(segmentNames()).doesNotContain("r.00000000000000000001.pb");
            List<StoredEvent> kept = EventLogTest.drain(log.readAfter(t -> true, 0));
            assertThat(kept).isNotEmpty();
            assertThat(kept.getLast().position()).isEqualTo(200);
            assertThat(kept.getFirst().position()).isGreaterThan(1);
            assertThat(log.topics().getFirst().events()).isEqualTo(kept.size());
        }
    }

    @Test
    void shouldDeleteSegmentsWhoseNewestEventIsOlderThanTheRetentionAge() throws IOException {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(500).retainAge(Duration.ofHours(1))
                .clock(clock).build();
        try (EventLog log = EventLog.open(config)) {
            // one event per append: a write group rotates a segment only before its first record
            for (EventToAppend e : batch("a", clock.nanos(), 10)) {
                log.append(List.of(e));
            }
            clock.set(Instant.parse("2026-01-01T00:30:00Z"));
            for (EventToAppend e : batch("a", clock.nanos(), 10)) {
                log.append(List.of(e));
            }
            assertThat(segmentNames()).hasSizeGreaterThan(2);
            clock.set(Instant.parse("2026-01-01T01:20:00Z"));
            log.append(batch("a", clock.nanos(), 1));
            List<StoredEvent> kept = EventLogTest.drain(log.readAfter(t -> true, 0));
            // the first segment held only events from 00:00; the second also holds 00:30 ones: kept
            assertThat(segmentNames()).doesNotContain("a.00000000000000000001.pb");
            assertThat(kept.getFirst().position()).isEqualTo(8);
            assertThat(kept.getLast().position()).isEqualTo(21);
        }
    }

    /**
     * A rotation publishes the old segment, so a write group never rotates a segment it has
     * written to: else a later write of the group that finds no room could not take its events
     * back, and an append answered "no room" would be served after all.
     */
    @Test
    void shouldRotateOnlyBeforeTheFirstRecordOfAWriteGroup() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(500).build();
        try (EventLog log = EventLog.open(config)) {
            log.append(batch("s", 0, 30));
            assertThat(segmentNames()).containsExactly("s.pb");
            log.append(batch("s", 100, 1));
            assertThat(segmentNames()).containsExactly("s.00000000000000000001.pb", "s.pb");
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).hasSize(31);
        }
    }

    @Test
    void shouldKeepAReaderGoingWhileSegmentsRotateUnderIt() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(700).build();
        try (EventLog log = EventLog.open(config); LogReader reader = log.readAfter(t -> true, 0)) {
            long expected = 1;
            for (int i = 0; i < 30; i++) {
                log.append(batch("z", i, 3));
                for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
                    assertThat(e.position()).isEqualTo(expected++);
                }
            }
            assertThat(expected).isEqualTo(91);
        }
    }

    @Test
    void shouldMoveAReaderOnWhenRetentionDeletesTheSegmentUnderIt() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(700).retainBytes(2000).build();
        try (EventLog log = EventLog.open(config)) {
            log.append(batch("q", 0, 5));
            LogReader reader = log.readAfter(t -> true, 0);
            assertThat(reader.next().position()).isEqualTo(1);
            for (int i = 0; i < 20; i++) {
                log.append(batch("q", i, 5));
            }
            assertThat(segmentNames()).doesNotContain("q.00000000000000000001.pb");
            List<StoredEvent> rest = EventLogTest.drain(reader);
            assertThat(rest).isNotEmpty();
            // what the reader had buffered of the deleted segment may still come; then it skips
            // to the oldest segment left
            assertThat(rest.size()).isLessThan(104);
            assertThat(rest.getLast().position()).isEqualTo(105);
            assertThat(rest).extracting(StoredEvent::position).isSorted().doesNotHaveDuplicates();
        }
    }

    private long descriptorsUnderRoot() throws IOException {
        long n = 0;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).startsWith(root)) {
                        n++;
                    }
                } catch (IOException e) {
                    // closed while listing
                }
            }
        }
        return n;
    }

    @Test
    void shouldHoldDescriptorsOnlyForLiveSegmentsAndThoseBeingRead() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(300).build();
        try (EventLog log = EventLog.open(config)) {
            for (int i = 0; i < 40; i++) {
                log.append(batch("f", i, 5));
            }
            assertThat(segmentNames().size()).isGreaterThan(30);
            // live data + index + the lock file; rotated segments let theirs go
            assertThat(descriptorsUnderRoot()).isLessThanOrEqualTo(3);
        }
        try (EventLog log = EventLog.open(config)) {
            assertThat(descriptorsUnderRoot()).isLessThanOrEqualTo(3);
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).hasSize(200);
            assertThat(log.lastPerTopic(t -> true, 200, 200).toList()).hasSize(200);
        }
    }

    @Test
    void shouldKeepAtMostTheConfiguredNumberOfFilesOpenWhateverTheNumberOfTopics() throws IOException {
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(400).maxOpenFiles(LogConfig.MIN_OPEN_FILES).build();
        try (EventLog log = EventLog.open(config)) {
            for (int round = 0; round < 6; round++) {
                List<EventToAppend> all = new ArrayList<>();
                for (int t = 0; t < 150; t++) {
                    all.addAll(batch("many/" + t, round, 1));
                }
                log.append(all);
                assertThat(descriptorsUnderRoot()).isLessThanOrEqualTo(LogConfig.MIN_OPEN_FILES + 1); // + the lock
            }
            try (LogReader reader = log.readAfter(t -> true, 0)) {
                long previous = 0;
                long read = 0;
                for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
                    assertThat(e.position()).isEqualTo(previous + 1);
                    previous = e.position();
                    if (++read % 97 == 0) {
                        assertThat(descriptorsUnderRoot()).isLessThanOrEqualTo(LogConfig.MIN_OPEN_FILES + 1);
                    }
                }
                assertThat(read).isEqualTo(900);
            }
            assertThat(log.lastPerTopic(t -> true, 2, log.lastPosition()).toList()).hasSize(300);
            assertThat(descriptorsUnderRoot()).isLessThanOrEqualTo(LogConfig.MIN_OPEN_FILES + 1);
        }
    }

    @Test
    void shouldGoOnAppendingWhenARetentionDeleteFailsAndDeleteTheSegmentLater() throws IOException {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(1000).retainBytes(3000).clock(clock).build();
        try (EventLog log = EventLog.open(config)) {
            int appended = 0;
            while (!segmentNames().contains("r.00000000000000000001.pb")) {
                log.append(batch("r", appended++ * 10, 5)); // until the first rotation
            }
            // a folder with a file in it where the first segment's index was: deleting it fails
            Path index = root.resolve("r.00000000000000000001.pb.idx");
            Files.delete(index);
            Files.createDirectories(index.resolve("obstacle"));
            for (int i = appended; i < 40; i++) {
                log.append(batch("r", i * 10, 5));
            }
            // retention took the segment out (readers skip it) and the log went on
            assertThat(Files.exists(root.resolve("r.00000000000000000001.pb"))).isTrue();
            List<StoredEvent> kept = EventLogTest.drain(log.readAfter(t -> true, 0));
            assertThat(kept.getFirst().position()).isGreaterThan(5);
            assertThat(kept.getLast().position()).isEqualTo(200);

            Files.delete(index.resolve("obstacle"));
            clock.set(Instant.parse("2026-01-01T00:00:02Z"));
            log.append(batch("r", 400, 1)); // a second later, retention tries again
            assertThat(Files.exists(root.resolve("r.00000000000000000001.pb"))).isFalse();
            assertThat(Files.exists(index)).isFalse();
        }
    }
}
