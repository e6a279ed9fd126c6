package dev.tailbus.systemtest.filebus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.StartedProcesses;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our processes and others on one bus: a Python peer that locks and renames as the reference
 * Python filebus does (fcntl.flock on F.lock), and bash with the flock command and mv.
 */
class FilebusInteropTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static Path peer;

    @TempDir
    Path folder;

    @RegisterExtension
    final StartedProcesses processes = new StartedProcesses();

    @BeforeAll
    static void copyThePeerScript(@TempDir Path scripts) throws IOException {
        peer = scripts.resolve("peer.py");
        try (InputStream script = FilebusInteropTest.class.getResourceAsStream("/filebus/peer.py")) {
            Files.copy(script, peer);
        }
    }

    private Process start(ProcessBuilder builder) throws IOException {
        return processes.start(builder);
    }

    private ProcessBuilder python(Path bus, String side, String mode) {
        return new ProcessBuilder("python3", peer.toString(), bus.toString(), side, mode, "4096");
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static void awaitExit(Process process) throws InterruptedException {
        assertThat(process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)).as("process ended").isTrue();
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void shouldFeedOurLosslessConsumerFromAPythonProducer() throws Exception {
        Path bus = folder.resolve("bus");
        Path input = Files.write(folder.resolve("in"), randomBytes(1024 * 1024, 1));
        Process consumer = start(Launcher.command("filebus", "--lossless", "--filename", bus.toString(), "consumer"));
        CompletableFuture<byte[]> output = Launcher.drain(consumer.getInputStream());

        Process producer = start(python(bus, "producer", "lossless").redirectInput(input.toFile()));

        awaitExit(producer);
        awaitExit(consumer);
        assertThat(output.get()).isEqualTo(Files.readAllBytes(input));
    }

    @Test
    void shouldFeedAPythonLosslessConsumerFromOurProducer() throws Exception {
        Path bus = folder.resolve("bus");
        Path input = Files.write(folder.resolve("in"), randomBytes(1024 * 1024, 2));
        Process consumer = start(python(bus, "consumer", "lossless"));
        CompletableFuture<byte[]> output = Launcher.drain(consumer.getInputStream());

        Process producer = start(Launcher.command("filebus", "--lossless", "--filename", bus.toString(), "producer")
                .redirectInput(input.toFile()));

        awaitExit(producer);
        awaitExit(consumer);
        assertThat(output.get()).isEqualTo(Files.readAllBytes(input));
    }

    @Test
    void shouldShareOneBusBetweenOursAndPythonOnBothSides() throws Exception {
        Path bus = folder.resolve("bus");
        // Newline-free records of one block each, so that every chunk is one whole record.
        int record = 4096;
        List<String> expected = new ArrayList<>();
        StringBuilder ours = new StringBuilder();
        StringBuilder theirs = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            String a = pad("ours-" + i, record);
            String b = pad("python-" + i, record);
            ours.append(a);
            theirs.append(b);
            expected.add(a);
            expected.add(b);
        }
        Path oursIn = Files.writeString(folder.resolve("ours.in"), ours);
        Path theirsIn = Files.writeString(folder.resolve("theirs.in"), theirs);
        Process ourConsumer = start(Launcher.command("filebus", "--lossless", "--filename", bus.toString(), "consumer"));
        Process theirConsumer = start(python(bus, "consumer", "lossless"));
        CompletableFuture<byte[]> ourOutput = Launcher.drain(ourConsumer.getInputStream());
        CompletableFuture<byte[]> theirOutput = Launcher.drain(theirConsumer.getInputStream());

        Process ourProducer = start(Launcher.command("filebus", "--lossless", "--filename", bus.toString(), "producer",
                "--blocking-read").redirectInput(oursIn.toFile()));
        Process theirProducer = start(python(bus, "producer", "lossless").redirectInput(theirsIn.toFile()));

        awaitExit(ourProducer);
        awaitExit(theirProducer);
        awaitExit(ourConsumer);
        awaitExit(theirConsumer);
        List<String> received = new ArrayList<>();
        for (byte[] output : List.of(ourOutput.get(), theirOutput.get())) {
            String text = new String(output, StandardCharsets.US_ASCII);
            assertThat(text.length() % record).isZero();
            for (int i = 0; i < text.length(); i += record) {
                received.add(text.substring(i, i + record));
            }
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void shouldSeeChunksThatBashWritesWithFlockAndMv() throws Exception {
        Path bus = folder.resolve("bus");
        Process consumer = start(Launcher.command("filebus", "--filename", bus.toString(), "consumer"));
        StringBuffer seen = Launcher.collectText(consumer.getInputStream());

        for (String line : List.of("from bash 1\n", "from bash 2\n")) {
            String expected = seen + line;
            Process bash = start(new ProcessBuilder("bash", "-c",
                    "( flock --exclusive 9 && printf %s \"$1\" > \"$0.__new__\" && mv \"$0.__new__\" \"$0\" ) 9>>\"$0.lock\"",
                    bus.toString(), line));
            awaitExit(bash);
            await().atMost(LIMIT).until(() -> seen.toString().equals(expected));
        }
    }

    /**
     * A lossy consumer reads the chunk it finds at start without the lock, as bash's consumer
     * does (a rename replaces a chunk whole), so a process holding the lock does not delay it;
     * the chunks after it it reads under the lock, as Python's consumer does.
     */
    @Test
    void shouldDeliverTheChunkFoundAtStartWhileAnotherProcessHoldsTheLock() throws Exception {
        Path bus = folder.resolve("bus");
        Files.writeString(bus, "at start\n");
        Path release = folder.resolve("release");
        Path holding = folder.resolve("holding");
        Process holder = start(new ProcessBuilder("bash", "-c",
                "( flock --exclusive 9 && touch \"$1\" && for i in $(seq 600); do [ -e \"$2\" ] && break; sleep 0.05; done ) 9>>\"$0.lock\"",
                bus.toString(), holding.toString(), release.toString()));
        await().atMost(LIMIT).until(() -> Files.exists(holding));

        Process consumer = start(Launcher.command("filebus", "--filename", bus.toString(), "consumer"));
        StringBuffer seen = Launcher.collectText(consumer.getInputStream());
        await().atMost(LIMIT).until(() -> seen.toString().equals("at start\n"));
        assertThat(holder.isAlive()).as("the lock is still held").isTrue();

        Files.createFile(release);
        awaitExit(holder);
        Launcher.Result next = Launcher.run(Launcher.command("filebus", "--filename", bus.toString(), "producer"),
                "next\n".getBytes(StandardCharsets.UTF_8), LIMIT);
        assertThat(next.exitStatus()).isZero();
        await().atMost(LIMIT).until(() -> seen.toString().equals("at start\nnext\n"));
    }

    private static String pad(String text, int size) {
        return text + "-".repeat(size - text.length());
    }
}
