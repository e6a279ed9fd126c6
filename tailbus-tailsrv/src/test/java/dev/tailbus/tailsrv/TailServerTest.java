package dev.tailbus.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.core.TailbusException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server in this JVM: both ways of hearing of file events, and start-up failures. */
class TailServerTest {
    @TempDir
    Path dir;

    private TailsrvConfig config(Path file) {
        return new TailsrvConfig(InetAddress.getLoopbackAddress(), List.of(new ServedFile(file, 0)), false,
                Duration.ofSeconds(10), 64);
    }

    private static String read(Socket socket, int n) throws IOException {
        socket.setSoTimeout(10_000);
        InputStream in = socket.getInputStream();
        return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
    }

    private static boolean watcherThreadRuns() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("tailsrv-inotify") && t.isAlive());
    }

    @Test
    void shouldHearOfAppendsThroughTheSelectorWithoutAWatcherThread() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "abc");
        try (TailServer server = TailServer.start(config(log));
             Socket client = new Socket("127.0.0.1", server.ports().values().iterator().next())) {
            client.getOutputStream().write("0\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(read(client, 3)).isEqualTo("abc");
            assertThat(watcherThreadRuns()).isFalse();
            Files.writeString(log, "def", StandardOpenOption.APPEND);
            assertThat(read(client, 3)).isEqualTo("def");
        }
    }

    @Test
    void shouldHearOfAppendsThroughAWatcherThreadWhenAskedTo() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "abc");
        System.setProperty(FileWatcher.THREAD_PROPERTY, "true");
        try (TailServer server = TailServer.start(config(log));
             Socket client = new Socket("127.0.0.1", server.ports().values().iterator().next())) {
            client.getOutputStream().write("-2\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(read(client, 2)).isEqualTo("bc");
            assertThat(watcherThreadRuns()).isTrue();
            Files.writeString(log, "def", StandardOpenOption.APPEND);
            assertThat(read(client, 3)).isEqualTo("def");
        } finally {
            System.clearProperty(FileWatcher.THREAD_PROPERTY);
        }
    }

    @Test
    void shouldStopWhenTheOnlyFileIsDeletedAndCloseIdempotently() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "abc");
        TailServer server = TailServer.start(config(log));
        Files.delete(log);
        server.awaitTermination();
        assertThat(server.isRunning()).isFalse();
        server.close();
        server.close();
    }

    @Test
    void shouldRefuseAPortInUseNamingTheAddress() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "abc");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            TailsrvConfig config = new TailsrvConfig(InetAddress.getLoopbackAddress(),
                    List.of(new ServedFile(log, taken.getLocalPort())), false, Duration.ofSeconds(1), 64);
            assertThatThrownBy(() -> TailServer.start(config))
                    .isInstanceOfSatisfying(TailsrvException.class, e -> assertThat(e.kind()).isEqualTo(TailbusException.Kind.UNAVAILABLE))
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void shouldRefuseADirectory() {
        assertThatThrownBy(() -> TailServer.start(config(dir)))
                .isInstanceOf(TailsrvException.class).hasMessageContaining("is a directory");
    }
}
