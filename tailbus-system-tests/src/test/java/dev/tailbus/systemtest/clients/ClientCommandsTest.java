package dev.tailbus.systemtest.clients;

import static dev.tailbus.systemtest.clients.ClientCommands.errorLines;
import static dev.tailbus.systemtest.clients.ClientCommands.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.ProtobusServerProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tailbus publish, subscribe and topics as processes against one protobus-server process. */
class ClientCommandsTest {
    private static final Pattern RFC3339_NANOS = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z");

    @TempDir
    static Path root;
    static ProtobusServerProcess server;
    static String address;

    @BeforeAll
    static void startServer() throws Exception {
        server = ProtobusServerProcess.start(root);
        address = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    private static List<JsonObject> jsonLines(Launcher.Result r) {
        List<JsonObject> out = new ArrayList<>();
        for (String line : r.stdoutText().split("\n")) {
            if (!line.isEmpty()) {
                out.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        return out;
    }

    @Test
    void shouldPublishOneEventPerLineAndPrintThemBackWithHistoryAsJsonFieldByField() throws Exception {
        Instant before = Instant.now();
        Launcher.Result pub = run("alpha\nbeta \"quoted\"\n\ngamma", "publish", "--topic", "json/a", "--tag", "unit=kelvin",
                "--tag", "site=north", "--address", address);
        Instant after = Instant.now();
        assertThat(pub.exitStatus()).as(pub.stderr()).isZero();
        assertThat(pub.stderr()).contains("published 4 events to json/a");

        Launcher.Result sub = run("", "subscribe", "json/", "--history", "10", "--count", "4", "--address", address);
        assertThat(sub.exitStatus()).as(sub.stderr()).isZero();
        List<JsonObject> events = jsonLines(sub);
        assertThat(events).hasSize(4);
        List<String> lines = List.of("alpha", "beta \"quoted\"", "", "gamma");
        long lastPosition = 0;
        for (int i = 0; i < 4; i++) {
            JsonObject e = events.get(i);
            assertThat(e.get("topic").getAsString()).isEqualTo("json/a");
            assertThat(e.getAsJsonObject("tags").get("unit").getAsString()).isEqualTo("kelvin");
            assertThat(e.getAsJsonObject("tags").get("site").getAsString()).isEqualTo("north");
            assertThat(e.getAsJsonObject("tags").size()).isEqualTo(2);
            Instant[] times = new Instant[3];
            String[] names = {"event_time", "transmit_time", "receive_time"};
            for (int t = 0; t < 3; t++) {
                String text = e.get(names[t]).getAsString();
                assertThat(text).matches(RFC3339_NANOS);
                times[t] = Instant.parse(text);
                assertThat(times[t]).isBetween(before, after);
            }
            assertThat(times[0]).isBeforeOrEqualTo(times[1]);
            assertThat(times[1]).isBeforeOrEqualTo(times[2]);
            long position = e.get("position").getAsLong();
            assertThat(position).isGreaterThan(lastPosition);
            lastPosition = position;
            assertThat(e.get("payload_type").getAsString()).isEqualTo("type.googleapis.com/google.protobuf.BytesValue");
            assertThat(new String(Base64.getDecoder().decode(e.get("payload").getAsString()), StandardCharsets.UTF_8))
                    .isEqualTo(lines.get(i));
            assertThat(e.get("payload_text").getAsString()).isEqualTo(lines.get(i));
        }
    }

    @Test
    void shouldRoundTripBinaryBlocksAndWholeInputsAsRawPayloads() throws Exception {
        byte[] input = new byte[10_000];
        new Random(42).nextBytes(input);
        Launcher.Result blocks = run(input, "publish", "--topic", "raw/blocks", "--block-size", "4k", "--address", address);
        assertThat(blocks.exitStatus()).as(blocks.stderr()).isZero();
        assertThat(blocks.stderr()).contains("published 3 events");
        Launcher.Result whole = run(input, "publish", "--topic", "raw/whole", "--whole", "--address", address);
        assertThat(whole.stderr()).contains("published 1 event ");

        Launcher.Result sub = run("", "subscribe", "raw/blocks", "--history", "5", "--count", "3", "--format", "raw",
                "--address", address);
        assertThat(sub.exitStatus()).as(sub.stderr()).isZero();
        byte[] expected = new byte[10_003];
        System.arraycopy(input, 0, expected, 0, 4096);
        expected[4096] = '\n';
        System.arraycopy(input, 4096, expected, 4097, 4096);
        expected[8193] = '\n';
        System.arraycopy(input, 8192, expected, 8194, 10_000 - 8192);
        expected[10_002] = '\n';
        assertThat(sub.stdout()).isEqualTo(expected);

        Launcher.Result one = run("", "subscribe", "raw/whole", "--history", "1", "--count", "1", "--format", "raw",
                "--address", address);
        assertThat(one.stdout()).hasSize(10_001).startsWith(input);
    }

    @Test
    void shouldResumeAfterAPositionAndSinceATime() throws Exception {
        Launcher.Result first = run("1\n2\n3\n", "publish", "--topic", "resume/x", "--address", address);
        assertThat(first.exitStatus()).isZero();
        List<JsonObject> firstThree = jsonLines(run("", "subscribe", "resume/", "--history", "3", "--count", "3",
                "--address", address));
        long third = firstThree.get(2).get("position").getAsLong();
        Instant middle = Instant.now();
        assertThat(run("4\n5\n", "publish", "--topic", "resume/x", "--address", address).exitStatus()).isZero();

        List<JsonObject> rest = jsonLines(run("", "subscribe", "resume/", "--after", Long.toString(third), "--count", "2",
                "--address", address));
        assertThat(rest).extracting(e -> e.get("payload_text").getAsString()).containsExactly("4", "5");
        assertThat(rest.get(0).get("position").getAsLong()).isGreaterThan(third);

        List<JsonObject> since = jsonLines(run("", "subscribe", "resume/", "--since", middle.toString(), "--count", "2",
                "--address", address));
        assertThat(since).extracting(e -> e.get("payload_text").getAsString()).containsExactly("4", "5");
    }

    @Test
    void shouldListStoredTopicsWithCountsPositionsAndTimes() throws Exception {
        run("a\nb\n", "publish", "--topic", "list/one", "--address", address);
        run("c\n", "publish", "--topic", "list/two", "--address", address);
        Launcher.Result json = run("", "topics", "list/", "--format", "json", "--address", address);
        assertThat(json.exitStatus()).as(json.stderr()).isZero();
        List<JsonObject> topics = jsonLines(json);
        assertThat(topics).extracting(t -> t.get("topic").getAsString()).containsExactly("list/one", "list/two");
        JsonObject one = topics.get(0);
        assertThat(one.get("events").getAsLong()).isEqualTo(2);
        assertThat(one.get("bytes").getAsLong()).isPositive();
        assertThat(one.get("last_position").getAsLong()).isGreaterThan(one.get("first_position").getAsLong());
        assertThat(one.get("first_time").getAsString()).matches(RFC3339_NANOS);

        Launcher.Result table = run("", "topics", "list/", "--address", address);
        assertThat(table.stdoutText().lines().toList()).hasSize(3).first().asString().startsWith("TOPIC");
        assertThat(table.stdoutText()).contains("list/one").contains("list/two");
    }

    @Test
    void shouldEndQuietlyWith141WhenStdoutIsClosed() throws Exception {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            many.append("line ").append(i).append(" of a long history\n");
        }
        assertThat(run(many.toString(), "publish", "--topic", "pipe/x", "--address", address).exitStatus()).isZero();
        Process sub = ClientCommands.tailbus("subscribe", "pipe/", "--history", "20000", "--address", address).start();
        CompletableFuture<byte[]> err = Launcher.drain(sub.getErrorStream());
        BufferedReader out = new BufferedReader(new InputStreamReader(sub.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).contains("line 0 of");
        out.close(); // as `| head -1` does
        assertThat(sub.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.exitValue()).isEqualTo(141);
        assertThat(new String(err.get(), StandardCharsets.UTF_8)).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void shouldExitWith1AndOneLineWhenStdoutFailsForAnotherReasonThanAClosedPipe() throws Exception {
        Path full = Path.of("/dev/full"); // every write fails with ENOSPC
        Assumptions.assumeTrue(Files.isWritable(full), "/dev/full is needed");
        assertThat(run("one\n", "publish", "--topic", "full/x", "--address", address).exitStatus()).isZero();
        Launcher.Result r = Launcher.run(ClientCommands.tailbus("subscribe", "full/", "--history", "1", "--count", "1",
                "--address", address).redirectOutput(full.toFile()), new byte[0], java.time.Duration.ofSeconds(60));
        assertThat(r.exitStatus()).isEqualTo(1);
        assertThat(errorLines(r)).doesNotContain("\n").contains("cannot write to stdout", "No space left on device");
    }

    @Test
    void shouldEndWith130OnSigint() throws Exception {
        Process sub = ClientCommands.tailbus("subscribe", "sigint/", "--address", address).start();
        CompletableFuture<byte[]> err = Launcher.drain(sub.getErrorStream());
        BufferedReader out = new BufferedReader(new InputStreamReader(sub.getInputStream(), StandardCharsets.UTF_8));
        // The subscription is live once a published event shows up.
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> {
            run("ping\n", "publish", "--topic", "sigint/x", "--address", address);
            return line.isDone();
        });
        assertThat(line.get()).contains("\"payload_text\":\"ping\"");
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(sub.pid())).start();
        assertThat(kill.waitFor()).isZero();
        assertThat(sub.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(sub.exitValue()).isEqualTo(130);
        assertThat(new String(err.get(), StandardCharsets.UTF_8)).doesNotContain("Exception");
    }

    @Test
    void shouldReportAnUnreachableServerOnOneLine() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        String nowhere = "127.0.0.1:" + port;
        for (String[] args : List.of(
                new String[] {"subscribe", "x", "--address", nowhere},
                new String[] {"topics", "--address", nowhere},
                new String[] {"topics", "--address", "no-such-host.invalid:42000"},
                new String[] {"publish", "--topic", "x", "--address", nowhere})) {
            Launcher.Result r = run("one\n", args);
            assertThat(r.exitStatus()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(errorLines(r)).as(String.join(" ", args)).doesNotContain("\n").contains("unreachable");
        }
    }

    @Test
    void shouldRejectBadPatternsAndFlagsWithExit2() throws Exception {
        for (String[] args : List.of(
                new String[] {"subscribe", "(unclosed", "--address", address},
                new String[] {"topics", "[", "--address", address},
                new String[] {"subscribe", "x", "--history", "-1", "--address", address},
                new String[] {"subscribe", "x", "--history", "1", "--after", "2", "--address", address},
                new String[] {"subscribe", "x", "--since", "yesterday", "--address", address},
                new String[] {"subscribe", "x", "--format", "xml", "--address", address},
                new String[] {"subscribe", "x", "--bogus"},
                new String[] {"publish", "--topic", "../escape", "--address", address},
                new String[] {"publish", "--address", address},
                new String[] {"publish", "--topic", "x", "--whole", "--block-size", "4k", "--address", address},
                new String[] {"publish", "--topic", "x", "--block-size", "lots", "--address", address})) {
            Launcher.Result r = run("one\n", args);
            String what = String.join(" ", args);
            assertThat(r.exitStatus()).as(what + ": " + r.stderr()).isEqualTo(2);
            assertThat(r.stderr()).as(what).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(errorLines(r).lines().findFirst().orElseThrow()).as(what).startsWith("tailbus ");
        }
    }
}
