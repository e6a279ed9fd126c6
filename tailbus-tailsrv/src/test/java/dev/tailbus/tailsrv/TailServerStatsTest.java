package dev.tailbus.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures tailsrv gives of each served file, against real clients on real sockets. */
class TailServerStatsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static FileStats stats(TailServer server) throws Exception {
        List<FileStats> all = server.stats().get(30, TimeUnit.SECONDS);
        assertThat(all).hasSize(1);
        return all.getFirst();
    }

    private static Socket connect(int port, String header) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(header.getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    @Test
    void shouldCountClientsBytesSentAndRefusedHeadersAndEndEmptyOnceStopped() throws Exception {
        Path file = Files.writeString(dir.resolve("a.log"), "abcdef");
        TailServer server = TailServer.start(new TailsrvConfig(InetAddress.getLoopbackAddress(),
                List.of(new ServedFile(file, 0)), false, Duration.ofMillis(300), 8));
        int port = server.ports().values().iterator().next();
        try (Socket reader = connect(port, "2\n");
             Socket waiter = connect(port, "100\n");
             Socket bad = connect(port, "x\n");
             Socket tooLong = connect(port, "123456789");
             Socket silent = new Socket("127.0.0.1", port)) {
            reader.setSoTimeout(30_000);
            assertThat(new String(reader.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("cdef");

            await().atMost(WAIT).untilAsserted(() -> {
                FileStats s = stats(server);
                assertThat(s.clients()).isEqualTo(2); // the reader and the one waiting past the end
                assertThat(s.clientsAccepted()).isEqualTo(5);
                assertThat(s.bytesSent()).isEqualTo(4);
                assertThat(s.clientsBehind()).isZero();
                assertThat(s.headersRefused()).containsEntry(HeaderRefusal.NOT_AN_INTEGER, 1L)
                        .containsEntry(HeaderRefusal.TOO_LONG, 1L).containsEntry(HeaderRefusal.TIMEOUT, 1L)
                        .containsEntry(HeaderRefusal.HUNG_UP, 0L);
            });
        } finally {
            server.close();
        }
        assertThat(server.stats().get(30, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void shouldShowAClientThatDoesNotReadAsBehindByWhatItLacks() throws Exception {
        Path file = dir.resolve("big.log");
        int size = 32 << 20;
        Files.write(file, new byte[size]);
        try (TailServer server = TailServer.start(new TailsrvConfig(InetAddress.getLoopbackAddress(),
                List.of(new ServedFile(file, 0)), false, Duration.ofSeconds(10), 64));
             Socket slow = new Socket()) {
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", server.ports().values().iterator().next()));
            slow.getOutputStream().write("0\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = slow.getInputStream();
            assertThat(in.read()).isZero(); // it streams

            await().atMost(WAIT).untilAsserted(() -> {
                FileStats s = stats(server);
                assertThat(s.clientsBehind()).isEqualTo(1);
                assertThat(s.bytesBehind()).isEqualTo(size - s.bytesSent()).isEqualTo(s.mostBehind()).isPositive();
            });
        }
    }
}
