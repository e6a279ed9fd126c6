package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wire protocol, case by case, against a real {@code bin/tailsrv} over 127.0.0.1, with file
 * events reaching the selector directly; {@link TailsrvWatcherThreadProtocolTest} runs every case
 * again through the watcher-thread fallback.
 */
class TailsrvProtocolTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    /** Starts the server under test for {@code path}; subclasses choose how it watches files. */
    TailsrvProcess serve(Path path, String... args) throws IOException {
        return TailsrvProcess.serve(path, args);
    }

    /** Starts the server under test for {@code files} files given in {@code args}. */
    TailsrvProcess start(int files, String... args) throws IOException {
        return TailsrvProcess.start(files, args);
    }

    private static void append(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    @Test
    void shouldSendTheFileFromTheOffsetAndThenEveryAppend() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "0123456789");
        try (TailsrvProcess server = serve(log);
             TailClient fromStart = TailClient.connect(server.port(), 0);
             TailClient fromFour = TailClient.connect(server.port(), 4)) {
            assertThat(fromStart.readText(10, WAIT)).isEqualTo("0123456789");
            assertThat(fromFour.readText(6, WAIT)).isEqualTo("456789");

            append(log, "abc");

            assertThat(fromStart.readText(3, WAIT)).isEqualTo("abc");
            assertThat(fromFour.readText(3, WAIT)).isEqualTo("abc");
        }
    }

    @Test
    void shouldCountANegativeOffsetBackFromTheEnd() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "first\nsecond\n");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port(), -7)) {
            assertThat(client.readText(7, WAIT)).isEqualTo("second\n");
            append(log, "third\n");
            assertThat(client.readText(6, WAIT)).isEqualTo("third\n");
        }
    }

    @Test
    void shouldStartAtZeroWhenANegativeOffsetIsLargerThanTheFile() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "short");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port(), -1000);
             TailClient extreme = TailClient.connect(server.port(), Long.MIN_VALUE)) {
            assertThat(client.readText(5, WAIT)).isEqualTo("short");
            assertThat(extreme.readText(5, WAIT)).isEqualTo("short");
        }
    }

    @Test
    void shouldMakeAClientWithAnOffsetPastTheEndWaitForTheFileToGrowPastIt() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "12345");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port(), 8)) {
            append(log, "67");
            assertThat(client.staysSilent(Duration.ofMillis(300))).isTrue();

            append(log, "89abc");

            assertThat(client.readText(4, WAIT)).isEqualTo("9abc");
        }
    }

    @Test
    void shouldTrimWhitespaceAroundTheOffset() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "0123456789");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port()).send("  7 \r\n")) {
            assertThat(client.readText(3, WAIT)).isEqualTo("789");
        }
    }

    @Test
    void shouldCloseAConnectionWhoseHeaderIsNotAnInteger() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log, "-v")) {
            for (String header : new String[] {"abc\n", "12x\n", "\n", "-\n", "1.5\n", "99999999999999999999\n"}) {
                try (TailClient client = TailClient.connect(server.port()).send(header)) {
                    assertThat(client.readToEnd(WAIT)).as("reply to %s", header.strip()).isEmpty();
                }
            }
            await().atMost(WAIT).until(() -> server.stderr().stream().filter(l -> l.contains("header is not an integer")).count() == 6);
            assertThat(server.isAlive()).isTrue();
        }
    }

    @Test
    void shouldCloseAConnectionWhoseHeaderIsLongerThanTheLimit() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log, "-v");
             TailClient tooLong = TailClient.connect(server.port()).send("0".repeat(64));
             TailClient fits = TailClient.connect(server.port()).send("0".repeat(62) + "1\n")) {
            assertThat(tooLong.readToEnd(WAIT)).isEmpty();
            assertThat(fits.readText(3, WAIT)).isEqualTo("ata");
            // The server logs after it closed the connection: wait for the line.
            await().atMost(WAIT).until(() -> server.stderr().stream().anyMatch(l -> l.contains("no newline within 64 header bytes")));
        }
    }

    @Test
    void shouldHonourAChangedHeaderLimit() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log, "--header-limit", "4");
             TailClient tooLong = TailClient.connect(server.port()).send("-0002\n");
             TailClient fits = TailClient.connect(server.port()).send("-02\n")) {
            assertThat(tooLong.readToEnd(WAIT)).isEmpty();
            assertThat(fits.readText(2, WAIT)).isEqualTo("ta");
        }
    }

    @Test
    void shouldCloseAConnectionThatSendsNoNewlineBeforeTheTimeout() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log, "--header-timeout", "700ms", "-v")) {
            // timed from before the connection, so the server's 700 ms cannot have begun earlier;
            // the upper bound is readToEnd's own (a loaded machine stretches the close, not the rule)
            long start = System.nanoTime();
            try (TailClient slow = TailClient.connect(server.port()).send("12")) {
                assertThat(slow.readToEnd(WAIT)).isEmpty();
            }
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(tookMillis).isGreaterThanOrEqualTo(700L);
            // The server logs after it closed the connection: wait for the line.
            await().atMost(WAIT).until(() -> server.stderr().stream().anyMatch(l -> l.contains("no header within 700 ms")));
        }
    }

    @Test
    void shouldKeepAClientThatSentItsHeaderBeyondTheTimeout() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log, "--header-timeout", "300ms");
             TailClient client = TailClient.connect(server.port(), 0)) {
            assertThat(client.readText(4, WAIT)).isEqualTo("data");
            assertThat(client.staysSilent(Duration.ofMillis(800))).isTrue();
            append(log, "more");
            assertThat(client.readText(4, WAIT)).isEqualTo("more");
        }
    }

    @Test
    void shouldIgnoreBytesSentAfterTheHeader() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "0123456789");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port()).send("5\nextra bytes\n-3\n")) {
            assertThat(client.readText(5, WAIT)).isEqualTo("56789");
            client.send("more noise that is never read as a header".repeat(100));
            append(log, "X");
            assertThat(client.readText(1, WAIT)).isEqualTo("X");
        }
    }

    @Test
    void shouldServeAClientThatShutsItsSideAfterTheHeaderAsNetcatDoes() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "hello\n");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port()).send("0\n").shutdownOutput()) {
            assertThat(client.readText(6, WAIT)).isEqualTo("hello\n");
            append(log, "world\n");
            assertThat(client.readText(6, WAIT)).isEqualTo("world\n");
        }
    }

    @Test
    void shouldGoOnServingOthersWhenAClientVanishesMidSend() throws Exception {
        byte[] big = new byte[32 * 1024 * 1024];
        new Random(7).nextBytes(big);
        Path log = Files.write(dir.resolve("big.log"), big);
        try (TailsrvProcess server = serve(log, "-v")) {
            TailClient vanishing = TailClient.connect(server.port(), 0);
            vanishing.read(1024, WAIT);
            vanishing.abort();
            TailClient closing = TailClient.connect(server.port(), 0);
            closing.read(1024, WAIT);
            closing.close();

            try (TailClient client = TailClient.connect(server.port(), -10)) {
                assertThat(client.read(10, WAIT)).isEqualTo(java.util.Arrays.copyOfRange(big, big.length - 10, big.length));
            }
            await().atMost(WAIT).until(() -> server.stderr().stream().filter(l -> l.contains("vanished")).count() == 2);
            assertThat(server.isAlive()).isTrue();
            assertThat(server.stderr()).noneMatch(l -> l.contains("Exception") || l.contains("\tat "));
        }
    }

    @Test
    void shouldCloseAConnectionThatHangsUpBeforeItsHeader() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log, "-v")) {
            TailClient.connect(server.port()).send("12").close();
            await().atMost(WAIT).until(() -> server.stderr().stream().anyMatch(l -> l.contains("hung up before its header")));
        }
    }

    @Test
    void shouldBindBeforeTheFileExistsAndServeItOnceItAppears() throws Exception {
        Path log = dir.resolve("later.log");
        try (TailsrvProcess server = serve(log);
             TailClient fromEnd = TailClient.connect(server.port(), -3);
             TailClient fromStart = TailClient.connect(server.port(), 0)) {
            assertThat(fromStart.staysSilent(Duration.ofMillis(300))).isTrue();

            Path staged = Files.writeString(dir.resolve("staged.tmp"), "abcdef");
            Files.move(staged, log);

            assertThat(fromStart.readText(6, WAIT)).isEqualTo("abcdef");
            assertThat(fromEnd.readText(3, WAIT)).isEqualTo("def");
            append(log, "g");
            assertThat(fromStart.readText(1, WAIT)).isEqualTo("g");
        }
    }

    @Test
    void shouldServeSeveralFilesEachOnItsOwnPort() throws Exception {
        Path one = Files.writeString(dir.resolve("one.log"), "one");
        Path two = Files.writeString(dir.resolve("two.log"), "two");
        Path three = dir.resolve("three.log");
        try (TailsrvProcess server = start(3, "--bind", "127.0.0.1",
                "-p", "0", one.toString(), "--serve", "0:" + two, "--serve", "0:" + three);
             TailClient a = TailClient.connect(server.ports().get(0), 0);
             TailClient b = TailClient.connect(server.ports().get(1), 0);
             TailClient c = TailClient.connect(server.ports().get(2), 0)) {
            assertThat(server.ports()).doesNotHaveDuplicates();
            assertThat(a.readText(3, WAIT)).isEqualTo("one");
            assertThat(b.readText(3, WAIT)).isEqualTo("two");
            Files.writeString(three, "three");
            append(one, "1");
            assertThat(c.readText(5, WAIT)).isEqualTo("three");
            assertThat(a.readText(1, WAIT)).isEqualTo("1");
            assertThat(b.staysSilent(Duration.ofMillis(200))).isTrue();
        }
    }

    @Test
    void shouldNotAnswerAClientThatNeverEndsItsHeader() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = serve(log);
             TailClient client = TailClient.connect(server.port()).send("0")) {
            assertThat(client.staysSilent(Duration.ofMillis(300))).isTrue();
            client.send("\n");
            assertThat(client.readText(4, WAIT)).isEqualTo("data");
        }
    }
}
