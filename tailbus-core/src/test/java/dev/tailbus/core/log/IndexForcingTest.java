package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Indexes reach stable storage when their segment rotates and when the log closes, whatever else
 * forced the data before (the {@code batch} policy forces the data of every batch, the interval
 * flusher the live data): checked through a file layer that records what was forced.
 */
class IndexForcingTest {
    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"batch", "10ms"})
    void shouldForceEveryIndexAtRotationAndAtClose(String flush) throws IOException {
        PowerLossFiles files = new PowerLossFiles();
        LogConfig config = LogConfig.builder(root).rotateAboveBytes(300).flush(FlushPolicy.parse(flush))
                .fileLayer(files).build();
        Path rotated = root.resolve("t.00000000000000000001.pb");
        try (EventLog log = EventLog.open(config)) {
            for (int i = 0; !Files.exists(rotated); i++) {
                log.append(List.of(EventLogTest.event("t", i, "event " + i), EventLogTest.event("u", i, "u" + i)));
                if (flush.endsWith("ms")) {
                    // the flusher forces the live data (alone) before the next batch
                    await().atMost(Duration.ofSeconds(10)).until(() -> files.unforced(root.resolve("t.pb")) == 0);
                }
            }
            assertThat(files.unforced(rotated)).as("rotated data").isZero();
            assertThat(files.unforced(SegmentFiles.index(rotated))).as("rotated index").isZero();
            log.append(List.of(EventLogTest.event("t", 99, "after the rotation")));
        }
        try (Stream<Path> walk = Files.list(root)) {
            for (Path index : walk.filter(p -> p.toString().endsWith(".idx")).toList()) {
                assertThat(files.unforced(index)).as("%s after close", index.getFileName()).isZero();
            }
        }
    }
}
