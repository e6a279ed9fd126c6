package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecoveryTest {
    @TempDir
    Path root;

    private List<AppendedEvent> appendTen() {
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            List<EventToAppend> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                batch.add(EventLogTest.event("t", 100 + i, "payload " + i));
            }
            return log.append(batch);
        }
    }

    private void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    private static byte[] le(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"short-length", "length-past-end", "garbage-record", "half-a-record"})
    void shouldTruncateATornTailAndContinueAfterTheHighestPosition(String tail) throws IOException {
        appendTen();
        Path file = root.resolve("t.pb");
        long goodSize = Files.size(file);
        byte[] event = EventWire.withPosition(EventWire.minimalEvent("t", 1, new byte[20]), 11);
        switch (tail) {
            case "short-length" -> appendBytes(file, new byte[] {5, 0});
            case "length-past-end" -> appendBytes(file, concat(le(1000), new byte[10]));
            case "garbage-record" -> appendBytes(file, concat(le(6), new byte[] {(byte) 0xFF, 1, 2, 3, 4, 5}));
            case "half-a-record" -> appendBytes(file, concat(le(event.length),
                    java.util.Arrays.copyOf(event, event.length / 2)));
            default -> throw new IllegalArgumentException(tail);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(Files.size(file)).isEqualTo(goodSize);
            assertThat(log.lastPosition()).isEqualTo(10);
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(log.append(List.of(EventLogTest.event("t", 200, "after")))).extracting(AppendedEvent::position)
                    .containsExactly(11L);
        }
        assertThat(ReferenceCompatibilityTest.readReferenceFormat(file)).hasSize(11);
    }

    @Test
    void shouldIndexRecordsThatReachedTheSegmentButNotTheIndex() throws IOException {
        appendTen();
        Path index = SegmentFiles.index(root.resolve("t.pb"));
        try (FileChannel c = FileChannel.open(index, StandardOpenOption.WRITE)) {
            c.truncate(IndexEntry.at(4));
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(log.lastPosition()).isEqualTo(10);
            assertThat(log.lastPerTopic(t -> true, 3, 10).toList()).extracting(StoredEvent::position).containsExactly(8L, 9L, 10L);
        }
        assertThat(Files.size(index)).isEqualTo(IndexEntry.at(10));
    }

    /**
     * A rotation renames the index, then the segment, then starts a new live segment: a kill
     * between any two of those steps leaves a store that opens with every event and appends on.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"index-renamed", "both-renamed", "live-not-yet-written"})
    void shouldOpenAStoreWhoseRotationWasInterrupted(String moment) throws IOException {
        appendTen();
        Path live = root.resolve("t.pb");
        Path rotated = SegmentFiles.rotated(root, "t", 1);
        switch (moment) {
            case "index-renamed" -> Files.move(SegmentFiles.index(live), SegmentFiles.index(rotated));
            case "both-renamed", "live-not-yet-written" -> {
                Files.move(SegmentFiles.index(live), SegmentFiles.index(rotated));
                Files.move(live, rotated);
                if (moment.equals("live-not-yet-written")) {
                    Files.createFile(live);
                }
            }
            default -> throw new IllegalArgumentException(moment);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(log.append(List.of(EventLogTest.event("t", 200, "after")))).extracting(AppendedEvent::position)
                    .containsExactly(11L);
        }
        assertThat(live).exists();
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(log.lastPerTopic(t -> true, 2, 11).toList()).extracting(StoredEvent::position)
                    .containsExactly(10L, 11L);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"missing", "garbage", "wrong-last-entry"})
    void shouldRebuildAMissingOrStaleIndex(String damage) throws IOException {
        List<AppendedEvent> written = appendTen();
        Path index = SegmentFiles.index(root.resolve("t.pb"));
        switch (damage) {
            case "missing" -> Files.delete(index);
            case "garbage" -> Files.write(index, new byte[100]);
            case "wrong-last-entry" -> {
                try (FileChannel c = FileChannel.open(index, StandardOpenOption.WRITE)) {
                    c.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), IndexEntry.at(9) + IndexEntry.CRC);
                }
            }
            default -> throw new IllegalArgumentException(damage);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            List<StoredEvent> read = EventLogTest.drain(log.readAfter(t -> true, 0));
            assertThat(read).extracting(StoredEvent::position).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            for (int i = 0; i < 10; i++) {
                assertThat(read.get(i).event()).isEqualTo(written.get(i).event());
            }
            assertThat(log.lastPerTopic(t -> true, 2, 10).toList()).extracting(StoredEvent::position).containsExactly(9L, 10L);
        }
    }

    @Test
    void shouldSkipACorruptRecordInTheMiddleWithoutFailing() throws IOException {
        appendTen();
        Path file = root.resolve("t.pb");
        List<byte[]> records = ReferenceCompatibilityTest.readReferenceFormat(file);
        long offsetOfFifth = 0;
        for (int i = 0; i < 4; i++) {
            offsetOfFifth += 4 + records.get(i).length;
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            // flip the last payload byte of the fifth record (position 5): still a parseable event
            c.write(ByteBuffer.wrap(new byte[] {'X'}), offsetOfFifth + 4 + records.get(4).length - 4);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 3L, 4L, 6L, 7L, 8L, 9L, 10L);
            // the history is the last 6 events stored; the corrupt one among them is skipped
            assertThat(log.lastPerTopic(t -> true, 6, 10).toList()).extracting(StoredEvent::position)
                    .containsExactly(6L, 7L, 8L, 9L, 10L);
        }
    }

    @Test
    void shouldLeaveAnUnparseableRecordBeforeTheLastOutOfTheRebuiltIndex() throws IOException {
        appendTen();
        Path file = root.resolve("t.pb");
        Files.delete(SegmentFiles.index(file));
        List<byte[]> records = ReferenceCompatibilityTest.readReferenceFormat(file);
        long offsetOfThird = 8 + records.get(0).length + records.get(1).length;
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[] {(byte) 0xFF, (byte) 0xFF}), offsetOfThird + 4);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(log.lastPosition()).isEqualTo(10);
        }
        assertThat(ReferenceCompatibilityTest.readReferenceFormat(file)).hasSize(10);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void shouldRebuildAnIndexWhoseEntryInTheMiddleDisagreesWithTheOthers() throws IOException {
        appendTen();
        Path index = SegmentFiles.index(root.resolve("t.pb"));
        try (FileChannel c = FileChannel.open(index, StandardOpenOption.WRITE)) {
            // entry 3 (position 4) now claims position 999: its last entry still matches the segment
            ByteBuffer position = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 999);
            c.write(position, IndexEntry.at(3) + IndexEntry.POSITION);
        }
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(log.lastPerTopic(t -> true, 7, 10).toList()).extracting(StoredEvent::position)
                    .containsExactly(4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
        assertThat(StoreInspector.verify(root).problems()).isEmpty();
    }
}
