package dev.tailbus.systemtest.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.systemtest.Launcher;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tailbus store dump|verify|reindex} run as a process over a store the log wrote. */
class StoreCommandTest {
    private static final Pattern POSITION = Pattern.compile("\"position\":(\\d+)");
    private static final Pattern TOPIC = Pattern.compile("\"topic\":\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern EVENT = Pattern.compile("\"event\":\"([^\"]*)\"");

    @TempDir
    Path root;

    private List<EventToAppend> fill() {
        List<EventToAppend> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String topic = i % 3 == 0 ? "sensors/\"quoted\"" : "plain";
            batch.add(new EventToAppend(topic, 1_700_000_000_000_000_000L + i,
                    EventWire.minimalEvent(topic, 1_700_000_000_000_000_000L + i,
                            ("payload " + i).getBytes(StandardCharsets.UTF_8))));
        }
        try (EventLog log = EventLog.open(LogConfig.builder(root).pattern("{topic}:.*").pattern("all:.*")
                .rotateAboveBytes(600).build())) {
            log.append(batch);
        }
        return batch;
    }

    @Test
    void shouldDumpEveryEventOnceAsJsonLinesInPositionOrder() throws Exception {
        List<EventToAppend> batch = fill();
        Launcher.Result result = Launcher.run("store", "--store-root", root.toString(), "dump");
        assertThat(result.exitStatus()).as(result.stderr()).isZero();
        List<String> lines = result.stdoutText().lines().toList();
        assertThat(lines).hasSize(20);
        for (int i = 0; i < 20; i++) {
            String line = lines.get(i);
            assertThat(line).startsWith("{").endsWith("}").contains("\"receive_time\":\"2023-11-14T22:13:20");
            assertThat(find(POSITION, line)).isEqualTo(Integer.toString(i + 1));
            assertThat(find(TOPIC, line)).isEqualTo(i % 3 == 0 ? "sensors/\\\"quoted\\\"" : "plain");
            assertThat(Base64.getDecoder().decode(find(EVENT, line)))
                    .isEqualTo(EventWire.withPosition(batch.get(i).event(), i + 1));
        }
        Launcher.Result some = Launcher.run("store", "--store-root", root.toString(), "dump", "--topic", "pl",
                "--after", "10", "--no-event");
        assertThat(some.exitStatus()).isZero();
        assertThat(some.stdoutText().lines()).allMatch(l -> l.contains("\"topic\":\"plain\"") && !l.contains("event"))
                .hasSize(7);
    }

    @Test
    void shouldVerifyACleanStoreAndReportACorruptRecordWithFileAndOffset() throws Exception {
        fill();
        Launcher.Result clean = Launcher.run("store", "--store-root", root.toString(), "verify");
        assertThat(clean.exitStatus()).as(clean.stdoutText()).isZero();
        assertThat(clean.stdoutText()).contains(": ok");

        Path file = root.resolve("plain.pb");
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[] {'#'}), c.size() - 5);
        }
        Launcher.Result corrupt = Launcher.run("store", "--store-root", root.toString(), "verify");
        assertThat(corrupt.exitStatus()).isEqualTo(1);
        assertThat(corrupt.stdoutText()).contains("problem: " + file + ": offset ").contains("checksum mismatch");

        Files.write(root.resolve("all.pb"), new byte[] {9, 0, 0, 0, 1}, StandardOpenOption.APPEND);
        Launcher.Result torn = Launcher.run("store", "--store-root", root.toString(), "verify");
        assertThat(torn.exitStatus()).isEqualTo(1);
        assertThat(torn.stdoutText()).contains("torn tail");
    }

    @Test
    void shouldRebuildIndexesAndRefuseAStoreOpenElsewhere() throws Exception {
        fill();
        try (var files = Files.walk(root)) {
            for (Path index : files.filter(p -> p.toString().endsWith(".idx")).toList()) {
                Files.delete(index);
            }
        }
        Launcher.Result reindex = Launcher.run("store", "--store-root", root.toString(), "reindex");
        assertThat(reindex.exitStatus()).as(reindex.stderr()).isZero();
        assertThat(reindex.stdoutText()).startsWith("reindexed ");
        assertThat(root.resolve("all.pb.idx")).exists();
        Launcher.Result verify = Launcher.run("store", "--store-root", root.toString(), "verify", "--quiet");
        assertThat(verify.exitStatus()).isZero();
        assertThat(verify.stdoutText()).isEmpty();

        try (EventLog open = EventLog.open(LogConfig.of(root))) {
            Launcher.Result busy = Launcher.run("store", "--store-root", root.toString(), "reindex");
            assertThat(busy.exitStatus()).isEqualTo(1);
            assertThat(busy.stderr().strip()).contains("is open in another process").doesNotContain("\n");
        }
    }

    @Test
    void shouldFailWithOneLineOnAMissingRootOrABadRegex() throws Exception {
        Launcher.Result missing = Launcher.run("store", "--store-root", root.resolve("nope").toString(), "dump");
        assertThat(missing.exitStatus()).isEqualTo(1);
        assertThat(missing.stderr().strip()).contains("is not a folder").doesNotContain("\n");
        Launcher.Result regex = Launcher.run("store", "--store-root", root.toString(), "dump", "--topic", "a(");
        assertThat(regex.exitStatus()).isEqualTo(2);
        assertThat(regex.stderr().strip()).contains("invalid topic regex").doesNotContain("\n");
    }

    private static String find(Pattern pattern, String line) {
        Matcher m = pattern.matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return m.group(1);
    }
}
