package dev.tailbus.systemtest.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.systemtest.Launcher;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tailbus store dump|verify|reindex} run as a process over a store the log wrote, and over single files. */
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
    void shouldDumpEveryStoredRecordOnceInPositionOrder() throws Exception {
        List<EventToAppend> batch = fill();
        Launcher.Result result = Launcher.run("store", "--store-root", root.toString(), "dump", "--raw-event");
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
        assertThat(missing.stderr().strip()).contains("nope does not exist").doesNotContain("\n");
        Launcher.Result regex = Launcher.run("store", "--store-root", root.toString(), "dump", "--topic", "a(");
        assertThat(regex.exitStatus()).isEqualTo(2);
        assertThat(regex.stderr().strip()).contains("invalid topic regex").doesNotContain("\n");
    }

    /** A file as the reference server writes it: length-prefixed events, no position, no index. */
    private Path referenceFile(String name, int events) throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < events; i++) {
            Instant sent = Instant.parse("2026-11-25T13:45:00.123456789Z").plusSeconds(i);
            byte[] event = new BusEvent(i % 2 == 0 ? "sensors/a" : "sensors/b", Map.of("seq", Integer.toString(i)),
                    sent, sent.plusMillis(1), sent.plusMillis(2), 0, BusEvent.of("x", ("hello " + i).getBytes(
                    StandardCharsets.UTF_8)).payload()).toProto().toByteArray();
            bytes.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(event.length).array());
            bytes.write(event);
        }
        return Files.write(root.resolve(name), bytes.toByteArray());
    }

    @Test
    void shouldDumpAReferenceFileWithNoIndexDecodedAsSubscribePrintsEvents() throws Exception {
        Path file = referenceFile("sensors.pb", 3);

        Launcher.Result result = Launcher.run("store", "dump", file.toString());

        assertThat(result.exitStatus()).as(result.stderr()).isZero();
        assertThat(result.stderr()).isEmpty();
        List<JsonObject> lines = result.stdoutText().lines().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
        assertThat(lines).hasSize(3);
        JsonObject first = lines.getFirst();
        assertThat(first.keySet()).containsExactly("topic", "tags", "event_time", "transmit_time", "receive_time",
                "position", "payload_size", "payload_type", "payload", "payload_text", "file", "offset");
        assertThat(first.get("topic").getAsString()).isEqualTo("sensors/a");
        assertThat(first.getAsJsonObject("tags").get("seq").getAsString()).isEqualTo("0");
        assertThat(first.get("event_time").getAsString()).isEqualTo("2026-11-25T13:45:00.123456789Z");
        assertThat(first.get("receive_time").getAsString()).isEqualTo("2026-11-25T13:45:00.125456789Z");
        assertThat(first.get("position").getAsLong()).isZero();
        assertThat(first.get("payload_type").getAsString()).isEqualTo(BusEvent.BYTES_VALUE_TYPE_URL);
        assertThat(first.get("payload_size").getAsInt())
                .isEqualTo(BusEvent.of("x", "hello 0".getBytes(StandardCharsets.UTF_8)).payload().getSerializedSize());
        assertThat(lines).extracting(l -> l.get("payload_text").getAsString()).containsExactly("hello 0", "hello 1", "hello 2");
        assertThat(first.get("file").getAsString()).isEqualTo(file.toString());
        assertThat(first.get("offset").getAsLong()).isZero();

        Launcher.Result raw = Launcher.run("store", "dump", "--raw-event", file.toString());
        assertThat(raw.stdoutText().lines().toList()).hasSize(3).first().asString()
                .startsWith("{\"position\":null,\"topic\":\"sensors/a\"").contains("\"event\":\"");

        Launcher.Result verify = Launcher.run("store", "verify", file.toString());
        assertThat(verify.exitStatus()).as(verify.stdoutText()).isZero();
        assertThat(verify.stdoutText()).contains("no index").contains("verified 1 segments, 3 records: ok");
        Launcher.Result folder = Launcher.run("store", "verify", root.toString());
        assertThat(folder.exitStatus()).isZero();
        assertThat(folder.stdoutText()).contains("verified 1 segments, 3 records: ok");
    }

    @Test
    void shouldRefuseWhatCannotBeDumpedWithOneLine() throws Exception {
        Path text = Files.writeString(root.resolve("notes.pb"), "not a store file at all\n");
        assertOneLine(Launcher.run("store", "dump", root.resolve("missing.pb").toString()), 1, "no such file");
        assertOneLine(Launcher.run("store", "verify", root.resolve("missing.pb").toString()), 1, "no such file");
        assertOneLine(Launcher.run("store", "dump", root.toString()), 2, "is a folder");
        assertOneLine(Launcher.run("store", "dump", text.toString()), 1, "not a store file");

        Path cut = referenceFile("cut.pb", 2);
        Files.write(cut, new byte[] {50, 0, 0, 0, 1}, StandardOpenOption.APPEND);
        Launcher.Result torn = Launcher.run("store", "dump", cut.toString());
        assertThat(torn.exitStatus()).isEqualTo(1);
        assertThat(torn.stdoutText().lines()).as("the whole records before the torn tail").hasSize(2);
        assertThat(torn.stderr().strip()).contains("torn tail").doesNotContain("\n");
        assertThat(Launcher.run("store", "verify", text.toString()).exitStatus()).isEqualTo(1);
    }

    private static void assertOneLine(Launcher.Result result, int status, String says) {
        assertThat(result.exitStatus()).as(result.stderr()).isEqualTo(status);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr().strip()).contains(says).doesNotContain("\n").doesNotContain("Exception");
    }

    private static String find(Pattern pattern, String line) {
        Matcher m = pattern.matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return m.group(1);
    }
}
