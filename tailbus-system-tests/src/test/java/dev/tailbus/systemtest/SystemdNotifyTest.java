package dev.tailbus.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both servers tell systemd READY=1 once they listen and STOPPING=1 when their shutdown begins:
 * the test plays systemd, binding the datagram socket named by NOTIFY_SOCKET itself (with
 * python3's socket module), a path for one server and an abstract name for the other.
 */
class SystemdNotifyTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Binds argv[1] ('@' for the abstract namespace) and prints each datagram on a line of its own. */
    private static final String SYSTEMD = """
            import socket, sys
            name = sys.argv[1]
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind('\\0' + name[1:] if name.startswith('@') else name)
            print('bound', flush=True)
            while True:
                print(s.recv(4096).decode(), flush=True)
            """;

    @TempDir
    Path dir;

    @RegisterExtension
    final StartedProcesses processes = new StartedProcesses();

    private StringBuffer systemd(String socket) throws Exception {
        Path script = Files.writeString(dir.resolve("systemd.py"), SYSTEMD);
        Process python = processes.start(new ProcessBuilder("python3", script.toString(), socket));
        StringBuffer heard = Launcher.collectText(python.getInputStream());
        await().atMost(WAIT).until(() -> heard.toString().startsWith("bound\n"));
        return heard;
    }

    /** Returns the server's stderr, still being read. */
    private StringBuffer shouldTellReadyThenStopping(String socket, ProcessBuilder server, String listening)
            throws Exception {
        StringBuffer heard = systemd(socket);
        server.environment().put("NOTIFY_SOCKET", socket);
        Process process = processes.start(server);
        StringBuffer stderr = Launcher.collectText(process.getErrorStream());

        await().atMost(WAIT).until(() -> heard.toString().contains("READY=1\n"));
        // stderr is read on another thread: the line written before READY may not be in yet
        await().atMost(WAIT).until(() -> stderr.toString().contains(listening));
        assertThat(heard.toString()).doesNotContain("STOPPING=1");

        process.toHandle().destroy(); // SIGTERM, as systemctl stop sends
        await().atMost(WAIT).until(() -> heard.toString().contains("STOPPING=1\n"));
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(heard.toString()).isEqualTo("bound\nREADY=1\nSTOPPING=1\n");
        return stderr;
    }

    @Test
    void shouldTellAPathSocketThatTailsrvIsReadyAndThenStopping() throws Exception {
        Path file = Files.writeString(dir.resolve("a.log"), "x");
        shouldTellReadyThenStopping(dir.resolve("notify.sock").toString(),
                Launcher.command("tailsrv", "--bind", "127.0.0.1", "-p", "0", file.toString()), "tailsrv: serving");
    }

    @Test
    void shouldTellAnAbstractSocketThatProtobusServerIsReadyAndThenStopping() throws Exception {
        StringBuffer stderr = shouldTellReadyThenStopping("@tailbus-notify-test-" + ProcessHandle.current().pid(),
                Launcher.command("protobus-server", "--address", "127.0.0.1:0", "--store-root", dir.toString()),
                "listening on 127.0.0.1:");
        await().atMost(WAIT).until(() -> stderr.toString().contains("stopped; store closed"));
        assertThat(stderr.toString()).as("a quiet shutdown").doesNotContain("warning").doesNotContain("Exception");
    }
}
