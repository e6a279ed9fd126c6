package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Store files written in the reference's format (fixtures made by
 * {@code src/test/resources/log/reference/make_fixtures.py}) are read back, given positions, and
 * stay readable by a reader of the reference's format.
 */
class ReferenceCompatibilityTest {
    @TempDir
    Path root;

    /** A reader of the reference's format: 4-byte little-endian length, then the event. */
    static List<byte[]> readReferenceFormat(Path file) throws IOException {
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> records = new ArrayList<>();
        while (all.remaining() >= 4) {
            int length = all.getInt();
            byte[] body = new byte[length];
            all.get(body);
            records.add(body);
        }
        assertThat(all.remaining()).isZero();
        return records;
    }

    private void copyFixture(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/log/reference/" + name)) {
            Files.copy(in, root.resolve(name));
        }
    }

    private List<String[]> expected() throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/log/reference/expected.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(l -> l.split(" ")).toList();
        }
    }

    @Test
    void shouldReadReferenceFilesAndGivePositionsInPathThenFileOrder() throws IOException {
        copyFixture("sensor.pb");
        copyFixture("all.pb");
        List<byte[]> originalAll = readReferenceFormat(root.resolve("all.pb"));
        List<byte[]> originalSensor = readReferenceFormat(root.resolve("sensor.pb"));
        List<String[]> expected = new ArrayList<>(expected());
        // positions follow file path order (all.pb before sensor.pb), then record order
        expected.sort((x, y) -> x[0].equals(y[0]) ? Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1]))
                : x[0].compareTo(y[0]));
        List<byte[]> originals = new ArrayList<>(originalAll);
        originals.addAll(originalSensor);
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(log.lastPosition()).isEqualTo(8);
            List<StoredEvent> read = EventLogTest.drain(log.readAfter(t -> true, 0));
            assertThat(read).hasSize(8);
            for (int i = 0; i < 8; i++) {
                StoredEvent e = read.get(i);
                assertThat(e.position()).isEqualTo(i + 1);
                assertThat(e.topic()).isEqualTo(expected.get(i)[2]);
                assertThat(e.receiveTimeNanos()).isEqualTo(Long.parseLong(expected.get(i)[3]));
                assertThat(e.event()).isEqualTo(EventWire.withPosition(originals.get(i), i + 1));
                assertThat(HexFormat.of().formatHex(e.event())).contains(expected.get(i)[4]);
            }
            assertThat(log.lastPerTopic(t -> t.equals("a"), 2, 8).toList()).extracting(StoredEvent::position)
                    .containsExactly(3L, 5L);
            assertThat(log.topics()).extracting(TopicStats::topic).containsExactly("a", "b/c", "sensor");
            // new events continue after the reference's, in the same files
            log.append(List.of(EventLogTest.event("sensor", 1, "new")));
            assertThat(log.lastPosition()).isEqualTo(9);
        }
        // the files are still in the reference's format: each record is the original plus field 100
        List<byte[]> sensor = readReferenceFormat(root.resolve("sensor.pb"));
        assertThat(sensor).hasSize(4);
        for (int i = 0; i < 3; i++) {
            assertThat(Arrays.copyOf(sensor.get(i), originalSensor.get(i).length)).isEqualTo(originalSensor.get(i));
            EventWire.Fields f = new EventWire.Fields();
            assertThat(EventWire.parse(sensor.get(i), 0, sensor.get(i).length, f)).isTrue();
            assertThat(f.position).isEqualTo(6 + i);
            assertThat(f.topic).isEqualTo("sensor");
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(log.lastPosition()).isEqualTo(9);
            assertThat(EventLogTest.drain(log.readAfter(t -> t.equals("sensor"), 0)))
                    .extracting(StoredEvent::position).containsExactly(6L, 7L, 8L, 9L);
        }
    }

    @Test
    void shouldNumberReferenceFilesAfterPositionsAlreadyGivenToUnstoredTopics() throws IOException {
        long unstored;
        try (EventLog log = EventLog.open(LogConfig.builder(root).pattern("kept:kept").build())) {
            AppendedEvent a = log.append(List.of(EventLogTest.event("dropped", 1, "x"))).get(0);
            assertThat(a.stored()).isFalse();
            unstored = a.position();
        }
        // a clean close notes the last position handed out (the reservation ran ahead of it)
        assertThat(Files.readString(root.resolve(SegmentFiles.RESERVED_NAME)).strip())
                .isEqualTo(String.valueOf(unstored));
        copyFixture("sensor.pb");
        long reserved = unstored;
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            // the reference's records come after every position that may have been handed out
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(reserved + 1, reserved + 2, reserved + 3);
            assertThat(log.lastPosition()).isEqualTo(reserved + 3);
            assertThat(log.append(List.of(EventLogTest.event("sensor", 2, "new"))).get(0).position())
                    .isEqualTo(reserved + 4);
        }
    }

    @Test
    void shouldWriteFilesThatAReaderOfTheReferenceFormatReads() throws IOException {
        List<EventToAppend> batch = List.of(EventLogTest.event("x", 5, "one"), EventLogTest.event("x", 6, "two"));
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            log.append(batch);
        }
        List<byte[]> records = readReferenceFormat(root.resolve("x.pb"));
        assertThat(records).hasSize(2);
        for (int i = 0; i < 2; i++) {
            byte[] original = batch.get(i).event();
            assertThat(Arrays.copyOf(records.get(i), original.length)).isEqualTo(original);
            EventWire.Fields f = new EventWire.Fields();
            assertThat(EventWire.parse(records.get(i), 0, records.get(i).length, f)).isTrue();
            assertThat(f.position).isEqualTo(i + 1);
            assertThat(f.receiveTimeNanos).isEqualTo(5 + i);
        }
    }

    @Test
    void shouldIgnoreAPbFileThatIsNotAStoreFile() throws IOException {
        Files.write(root.resolve("schema.pb"), "syntax = \"proto3\"; message X {}".getBytes(StandardCharsets.UTF_8));
        byte[] before = Files.readAllBytes(root.resolve("schema.pb"));
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(log.lastPosition()).isZero();
        }
        assertThat(Files.readAllBytes(root.resolve("schema.pb"))).isEqualTo(before);
    }

    @Test
    void shouldRefuseToAppendToATopicWhoseFileIsNotAStoreFileAndLeaveTheFileAlone() throws IOException {
        Files.write(root.resolve("schema.pb"), "syntax = \"proto3\"; message X {}".getBytes(StandardCharsets.UTF_8));
        byte[] before = Files.readAllBytes(root.resolve("schema.pb"));
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThatThrownBy(() -> log.append(List.of(EventLogTest.event("schema", 1, "x"),
                    EventLogTest.event("other", 1, "y"))))
                    .isInstanceOfSatisfying(LogException.class, e -> {
                        assertThat(e.kind()).isEqualTo(Kind.BAD_INPUT);
                        assertThat(e.getMessage()).contains("schema.pb").contains("not a store file");
                    });
            assertThat(log.append(List.of(EventLogTest.event("other", 1, "y"))).getFirst().stored()).isTrue();
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThatThrownBy(() -> log.append(List.of(EventLogTest.event("schema", 2, "x"))))
                    .isInstanceOf(LogException.class);
        }
        assertThat(Files.readAllBytes(root.resolve("schema.pb"))).isEqualTo(before);
        assertThat(Files.exists(root.resolve("schema.pb.idx"))).isFalse();
    }
}
