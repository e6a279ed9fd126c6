package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.systemtest.Launcher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that read and close must not keep a descriptor in the server while the file stays
 * quiet: TCP keepalive and the server's look at the kernel's connection table release them
 * within about twice the keepalive time, while a client that only shut its sending side (as
 * {@code nc} does) and goes on reading stays served.
 */
class TailsrvDepartedClientsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int CLIENTS = 300;

    @TempDir
    Path dir;

    @Test
    void shouldReleaseClientsThatReadAndClosedWhileTheFileStaysQuietAndKeepOneThatStillReads() throws Exception {
        Path log = Files.writeString(dir.resolve("quiet.log"), "0123456789");
        Path script = dir.resolve("departing_clients.py");
        try (InputStream resource = getClass().getResourceAsStream("/tailsrv/departing_clients.py")) {
            Files.copy(resource, script);
        }
        try (TailsrvProcess server = TailsrvProcess.serve(log, "--keepalive", "1s");
             TailClient stays = TailClient.connect(server.port(), 0)) {
            stays.shutdownOutput();
            assertThat(stays.readText(10, WAIT)).isEqualTo("0123456789");
            long before = server.openFiles();

            Launcher.Result departed = Launcher.run(new ProcessBuilder("python3", script.toString(),
                    String.valueOf(server.port()), String.valueOf(CLIENTS), "10"), new byte[0], Duration.ofSeconds(60));
            assertThat(departed.exitStatus()).as(departed.stderr()).isZero();

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(server::openFiles, open -> open <= before);
            assertThat(Files.size(log)).as("the file stayed quiet").isEqualTo(10);
            assertThat(keepaliveTimer(server.port(), stays.localPort()))
                    .as("the server's side of the remaining connection has its keepalive timer set").isTrue();
            Files.writeString(log, "abc", StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
            assertThat(stays.readText(3, WAIT)).isEqualTo("abc");
        }
    }

    /**
     * Whether the kernel's entry for the server's end of the connection (local port
     * {@code serverPort}, remote port {@code clientPort}) shows the keepalive timer (proc(5): the
     * "tr" column is 2).
     */
    private static boolean keepaliveTimer(int serverPort, int clientPort) throws IOException {
        String local = String.format(":%04X", serverPort);
        String remote = String.format(":%04X", clientPort);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (!Files.exists(path)) {
                continue;
            }
            for (String line : Files.readAllLines(path)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 5 && fields[1].endsWith(local) && fields[2].endsWith(remote)) {
                    return fields[5].startsWith("02:");
                }
            }
        }
        return false;
    }
}
