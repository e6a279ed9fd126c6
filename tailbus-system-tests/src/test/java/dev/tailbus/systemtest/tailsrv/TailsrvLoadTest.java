package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Many clients, slow clients and many connections: bounded in count and in time. */
class TailsrvLoadTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    @Timeout(60)
    void shouldDeliverLiveAppendsToThreeClientsInOrder() throws Exception {
        Path log = Files.createFile(dir.resolve("a.log"));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<TailClient> clients = List.of(TailClient.connect(server.port(), 0),
                    TailClient.connect(server.port(), 0), TailClient.connect(server.port(), 0));
            for (int i = 0; i < 2000; i++) {
                byte[] line = ("line " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                expected.write(line);
                Files.write(log, line, StandardOpenOption.APPEND);
            }
            byte[] all = expected.toByteArray();
            List<Future<byte[]>> received = new ArrayList<>();
            for (TailClient client : clients) {
                received.add(readers.submit(() -> client.read(all.length, WAIT)));
            }
            for (Future<byte[]> bytes : received) {
                assertThat(bytes.get()).isEqualTo(all);
            }
            for (TailClient client : clients) {
                client.close();
            }
        }
    }

    @Test
    @Timeout(90)
    void shouldNotLetAStalledClientDelayAFastOne() throws Exception {
        byte[] big = new byte[64 * 1024 * 1024];
        new Random(11).nextBytes(big);
        Path log = Files.write(dir.resolve("big.log"), big);
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             TailClient stalled = TailClient.connect(server.port(), 0);
             TailClient fast = TailClient.connect(server.port(), 0)) {
            stalled.socket().setReceiveBufferSize(4096);

            byte[] got = fast.read(big.length, WAIT);
            assertThat(Arrays.equals(got, big)).isTrue();

            Files.writeString(log, "tail", StandardOpenOption.APPEND);
            assertThat(fast.readText(4, Duration.ofSeconds(5))).isEqualTo("tail");
            // The stalled client is still connected and still gets its bytes once it reads.
            assertThat(stalled.read(1024, WAIT)).isEqualTo(Arrays.copyOf(big, 1024));
        }
    }

    @Test
    @Timeout(120)
    void shouldSendTheSameBytesToAThousandConcurrentClients() throws Exception {
        byte[] initial = new byte[64 * 1024];
        new Random(3).nextBytes(initial);
        Path log = Files.write(dir.resolve("a.log"), initial);
        int clients = 1_000;
        int appends = 16;
        int appendSize = 4096;
        int total = initial.length + appends * appendSize;
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicInteger connected = new AtomicInteger();
            List<Future<byte[]>> received = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                received.add(readers.submit(() -> {
                    try (TailClient client = TailClient.connect(server.port(), 0)) {
                        connected.incrementAndGet();
                        return client.read(total, Duration.ofSeconds(60));
                    }
                }));
            }
            await().atMost(WAIT).until(() -> connected.get() == clients);
            Random random = new Random(5);
            for (int i = 0; i < appends; i++) {
                byte[] more = new byte[appendSize];
                random.nextBytes(more);
                Files.write(log, more, StandardOpenOption.APPEND);
            }
            byte[] expected = Files.readAllBytes(log);
            assertThat(expected).hasSize(total);
            int same = 0;
            for (Future<byte[]> bytes : received) {
                if (Arrays.equals(bytes.get(90, TimeUnit.SECONDS), expected)) {
                    same++;
                }
            }
            assertThat(same).isEqualTo(clients);
        }
    }

    @Test
    @Timeout(120)
    void shouldReturnToItsOpenFileCountAfterTenThousandConnectCycles() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "0123456789");
        try (TailsrvProcess server = TailsrvProcess.serve(log);
             ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            cycle(server.port(), 0);
            cycle(server.port(), 2);
            long baseline = releaseAndCount(server, log, -1);

            int cycles = 10_000;
            int parallel = 8;
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < parallel; w++) {
                int worker = w;
                done.add(workers.submit(() -> {
                    for (int i = worker; i < cycles; i += parallel) {
                        cycle(server.port(), i);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(100, TimeUnit.SECONDS);
            }

            assertThat(releaseAndCount(server, log, baseline)).isLessThanOrEqualTo(baseline);
            try (TailClient still = TailClient.connect(server.port(), 0)) {
                assertThat(still.read(10, WAIT)).hasSize(10);
            }
        }
    }

    @Test
    @Timeout(60)
    void shouldServeHundredsOfClientsFromOneThreadWithoutAWatcherThread() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "x");
        try (TailsrvProcess server = TailsrvProcess.serve(log, "-v")) {
            List<TailClient> clients = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                clients.add(TailClient.connect(server.port(), 0));
            }
            for (TailClient client : clients) {
                assertThat(client.readText(1, WAIT)).isEqualTo("x");
            }
            List<String> own = server.threadNames().stream().filter(name -> name.startsWith("tailsrv-")).toList();
            assertThat(own).containsExactly("tailsrv-conduct");
            assertThat(server.stderr()).contains("tailsrv: debug: file events wake the selector directly");
            for (TailClient client : clients) {
                client.close();
            }
        }
    }

    /**
     * One client's life, four ways: hang up before the header; reset after reading; close after
     * reading; half-close after the header (as netcat) and close after reading.
     */
    private static void cycle(int port, int i) throws IOException {
        TailClient client = TailClient.connect(port);
        switch (i % 4) {
            case 0 -> client.close();
            case 1 -> {
                client.send("-4\n").read(4, WAIT);
                client.abort();
            }
            case 2 -> {
                client.send("-4\n").read(4, WAIT);
                client.close();
            }
            default -> {
                client.send("-4\n").shutdownOutput().read(4, WAIT);
                client.close();
            }
        }
    }

    /**
     * A client that shut its sending side may still be reading, so the server only learns that
     * it closed when a send to it fails: the second one after its close. Appends a byte until
     * the server's open file count falls to {@code target} (or, with -1, stops falling).
     */
    private static long releaseAndCount(TailsrvProcess server, Path log, long target) throws IOException {
        long[] last = {server.openFiles()};
        int[] steady = {0};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Files.writeString(log, ".", StandardOpenOption.APPEND);
            long now = server.openFiles();
            steady[0] = now == last[0] ? steady[0] + 1 : 0;
            last[0] = now;
            return target >= 0 ? now <= target : steady[0] >= 5;
        });
        return last[0];
    }
}
