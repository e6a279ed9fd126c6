package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What happens to the server and its clients when the file is moved, deleted or truncated. */
class TailsrvFileLifecycleTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void shouldExitWhenTheFileIsDeleted() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             TailClient client = TailClient.connect(server.port(), 0)) {
            assertThat(client.readText(4, WAIT)).isEqualTo("data");

            Files.delete(log);

            assertThat(server.awaitExit(WAIT)).isZero();
            assertThat(client.readToEnd(WAIT)).isEmpty();
            assertThat(server.stderr()).anyMatch(l -> l.contains(log + " was moved or deleted"));
        }
    }

    @Test
    void shouldExitWhenTheFileIsMoved() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             TailClient client = TailClient.connect(server.port(), 0)) {
            assertThat(client.readText(4, WAIT)).isEqualTo("data");

            Files.move(log, dir.resolve("a.log.1"));

            assertThat(server.awaitExit(WAIT)).isZero();
            assertThat(client.readToEnd(WAIT)).isEmpty();
        }
    }

    @Test
    void shouldKeepServingADeletedFileWhenLingering() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (FileChannel writer = FileChannel.open(log, StandardOpenOption.APPEND);
             TailsrvProcess server = TailsrvProcess.serve(log, "--linger-after-file-is-gone");
             TailClient before = TailClient.connect(server.port(), 0)) {
            assertThat(before.readText(4, WAIT)).isEqualTo("data");

            Files.delete(log);
            await().atMost(WAIT).until(() -> server.stderr().stream().anyMatch(l -> l.contains("lingering")));
            writer.write(StandardCharsets.UTF_8.encode("+more"));

            assertThat(before.readText(5, WAIT)).isEqualTo("+more");
            try (TailClient after = TailClient.connect(server.port(), 0)) {
                assertThat(after.readText(9, WAIT)).isEqualTo("data+more");
            }
            assertThat(server.isAlive()).isTrue();
        }
    }

    @Test
    void shouldKeepServingAMovedFileWhenLingering() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (TailsrvProcess server = TailsrvProcess.serve(log, "--linger-after-file-is-gone");
             TailClient client = TailClient.connect(server.port(), 0)) {
            assertThat(client.readText(4, WAIT)).isEqualTo("data");

            Path moved = Files.move(log, dir.resolve("a.log.1"));
            await().atMost(WAIT).until(() -> server.stderr().stream().anyMatch(l -> l.contains("lingering")));
            Files.writeString(moved, "+more", StandardOpenOption.APPEND);

            assertThat(client.readText(5, WAIT)).isEqualTo("+more");
            assertThat(server.isAlive()).isTrue();
        }
    }

    @Test
    void shouldStopOnlyTheGoneFileWhenServingSeveral() throws Exception {
        Path one = Files.writeString(dir.resolve("one.log"), "one");
        Path two = Files.writeString(dir.resolve("two.log"), "two");
        try (TailsrvProcess server = TailsrvProcess.start(2, "--bind", "127.0.0.1",
                "--serve", "0:" + one, "--serve", "0:" + two);
             TailClient a = TailClient.connect(server.ports().get(0), 0);
             TailClient b = TailClient.connect(server.ports().get(1), 0)) {
            assertThat(a.readText(3, WAIT)).isEqualTo("one");
            assertThat(b.readText(3, WAIT)).isEqualTo("two");

            Files.delete(one);

            assertThat(a.readToEnd(WAIT)).isEmpty();
            Files.writeString(two, "!", StandardOpenOption.APPEND);
            assertThat(b.readText(1, WAIT)).isEqualTo("!");
            assertThat(server.isAlive()).isTrue();

            Files.delete(two);
            assertThat(server.awaitExit(WAIT)).isZero();
        }
    }

    @Test
    void shouldDisconnectClientsPastTheNewEndOnTruncationAndKeepTheOthers() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "x".repeat(1000));
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             TailClient atEnd = TailClient.connect(server.port(), 0);
             TailClient beyond = TailClient.connect(server.port(), 2000)) {
            assertThat(atEnd.read(1000, WAIT)).hasSize(1000);

            try (FileChannel file = FileChannel.open(log, StandardOpenOption.WRITE)) {
                file.truncate(100);
            }

            assertThat(atEnd.readToEnd(WAIT)).isEmpty();
            // The log line reaches the test through a pipe, maybe after the client saw its end.
            await().atMost(WAIT).until(() -> server.stderr().stream().anyMatch(l -> l.contains("truncated from 1000 to 100 bytes")));
            try (TailClient fresh = TailClient.connect(server.port(), 0)) {
                assertThat(fresh.read(100, WAIT)).hasSize(100);
                Files.writeString(log, "y".repeat(1900) + "0123456789", StandardOpenOption.APPEND);
                assertThat(fresh.read(1910, WAIT)).hasSize(1910);
            }
            assertThat(beyond.readText(10, WAIT)).isEqualTo("0123456789");
        }
    }
}
