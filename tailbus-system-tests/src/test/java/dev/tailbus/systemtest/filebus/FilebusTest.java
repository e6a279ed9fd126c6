package dev.tailbus.systemtest.filebus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.StartedProcesses;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** filebus as a user runs it: producers and consumers as processes of bin/filebus on real files. */
class FilebusTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path folder;

    @RegisterExtension
    final StartedProcesses processes = new StartedProcesses();

    private Process start(ProcessBuilder builder) throws IOException {
        return processes.start(builder);
    }

    private static ProcessBuilder filebus(String... args) {
        return Launcher.command("filebus", args);
    }

    private static void awaitExit(Process process, int status) throws InterruptedException {
        assertThat(process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS)).as("process ended").isTrue();
        assertThat(process.exitValue()).isEqualTo(status);
    }

    @Test
    void shouldCarry64MiBOfRandomBytesLosslesslyAndByteIdentical() throws Exception {
        Path bus = folder.resolve("bus");
        Path input = folder.resolve("input.bin");
        Path output = folder.resolve("output.bin");
        byte[] bytes = new byte[64 * 1024 * 1024];
        new Random(42).nextBytes(bytes);
        Files.write(input, bytes);

        Process consumer = start(filebus("--lossless", "--filename", bus.toString(), "consumer")
                .redirectOutput(output.toFile()));
        Process producer = start(filebus("--lossless", "--filename", bus.toString(), "producer")
                .redirectInput(input.toFile()));

        awaitExit(producer, 0);
        awaitExit(consumer, 0);
        assertThat(sha256(output)).isEqualTo(sha256(input));
        assertThat(bus).doesNotExist();
    }

    @Test
    void shouldDeliverEveryChunkExactlyOnceToCompetingConsumers() throws Exception {
        Path bus = folder.resolve("bus");
        int recordSize = 64;
        int recordsPerProducer = 300;
        List<Process> consumers = new ArrayList<>();
        List<CompletableFuture<byte[]>> outputs = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            Process consumer = start(filebus("--lossless", "--block-size", String.valueOf(recordSize),
                    "--filename", bus.toString(), "consumer"));
            consumers.add(consumer);
            outputs.add(Launcher.drain(consumer.getInputStream()));
        }
        List<String> expected = new ArrayList<>();
        List<Process> producers = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < recordsPerProducer; i++) {
                String record = record(p, i, recordSize);
                expected.add(record);
                input.append(record);
            }
            Process producer = start(filebus("--lossless", "--block-size", String.valueOf(recordSize),
                    "--filename", bus.toString(), "producer", "--blocking-read"));
            producers.add(producer);
            Launcher.feed(producer, input.toString().getBytes(StandardCharsets.US_ASCII));
        }

        for (Process producer : producers) {
            awaitExit(producer, 0);
        }
        for (Process consumer : consumers) {
            awaitExit(consumer, 0);
        }
        List<String> received = new ArrayList<>();
        for (CompletableFuture<byte[]> output : outputs) {
            String text = new String(output.get(10, TimeUnit.SECONDS), StandardCharsets.US_ASCII);
            assertThat(text.length() % recordSize).as("whole records only").isZero();
            for (int i = 0; i < text.length(); i += recordSize) {
                received.add(text.substring(i, i + recordSize));
            }
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(expected);
    }

    /** One fixed-size record: producer, sequence number, padding, newline. */
    private static String record(int producer, int sequence, int size) {
        String head = "producer-" + producer + " record-" + sequence + " ";
        return head + ".".repeat(size - head.length() - 1) + "\n";
    }

    @Test
    void shouldGiveALossyConsumerTheCurrentChunkAndThenEachNewOne() throws Exception {
        Path bus = folder.resolve("bus");
        Launcher.Result first = Launcher.run(filebus("--filename", bus.toString(), "producer"),
                "first\n".getBytes(StandardCharsets.UTF_8), LIMIT);
        assertThat(first.exitStatus()).isZero();

        Process consumer = start(filebus("--filename", bus.toString(), "consumer"));
        StringBuffer seen = collect(consumer);
        await().atMost(LIMIT).until(() -> seen.toString().equals("first\n"));

        Launcher.run(filebus("--filename", bus.toString(), "producer"), "second\n".getBytes(StandardCharsets.UTF_8), LIMIT);

        await().atMost(LIMIT).until(() -> seen.toString().equals("first\nsecond\n"));
    }

    @Test
    void shouldNotMissAChunkItHadTimeToReadWhenInodesAreReused() throws Exception {
        // ext4 gives F and F.__new__ the same two inodes in turn; every chunk must still arrive.
        Path bus = folder.resolve("bus");
        Process consumer = start(filebus("--filename", bus.toString(), "consumer"));
        StringBuffer seen = collect(consumer);
        Process producer = start(filebus("--sleep-interval", "0.005", "--filename", bus.toString(), "producer"));
        StringBuilder expected = new StringBuilder();
        try (OutputStream stdin = producer.getOutputStream()) {
            for (int i = 0; i < 60; i++) {
                String chunk = "chunk " + i + "\n";
                expected.append(chunk);
                stdin.write(chunk.getBytes(StandardCharsets.UTF_8));
                stdin.flush();
                String soFar = expected.toString();
                await().atMost(LIMIT).until(() -> seen.toString().equals(soFar));
            }
        }
        awaitExit(producer, 0);
    }

    @Test
    void shouldEndALosslessConsumerAtTheEndOfStreamMarker() throws Exception {
        Path bus = folder.resolve("bus");
        Process consumer = start(filebus("--back-pressure", "--filename", bus.toString(), "consumer"));
        CompletableFuture<byte[]> output = Launcher.drain(consumer.getInputStream());

        Launcher.Result producer = Launcher.run(filebus("--back-pressure", "--filename", bus.toString(), "producer"),
                "one\ntwo\n".getBytes(StandardCharsets.UTF_8), LIMIT);

        assertThat(producer.exitStatus()).isZero();
        awaitExit(consumer, 0);
        assertThat(new String(output.get(), StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n");
    }

    @Test
    void shouldEndQuietlyWhenItsOutputClosesAndLeaveTheUndeliveredChunkOnTheBus() throws Exception {
        Path bus = folder.resolve("bus");
        Path errors = folder.resolve("consumer.err");
        byte[] bytes = new byte[4 * 1024 * 1024];
        new Random(3).nextBytes(bytes);
        Path input = Files.write(folder.resolve("input.bin"), bytes);
        Process pipeline = start(new ProcessBuilder("bash", "-c",
                "\"$0\" --lossless --filename \"$1\" consumer 2>\"$2\" | head -c 10 >/dev/null; echo ${PIPESTATUS[0]}",
                Launcher.home().resolve("bin/filebus").toString(), bus.toString(), errors.toString()));
        CompletableFuture<byte[]> status = Launcher.drain(pipeline.getInputStream());
        Process producer = start(filebus("--lossless", "--filename", bus.toString(), "producer")
                .redirectInput(input.toFile()));

        awaitExit(pipeline, 0);
        assertThat(new String(status.get(), StandardCharsets.UTF_8).trim()).isEqualTo("141");
        assertThat(errors).isEmptyFile();
        // The producer waits for a consumer to take the chunk that could not be delivered: it is
        // still on the bus, whole, and is one of the input's blocks.
        await().atMost(LIMIT).until(() -> Files.exists(bus));
        assertThat(producer.isAlive()).isTrue();
        byte[] left = Files.readAllBytes(bus);
        assertThat(left).hasSize(4096);
        int block = indexOfBlock(bytes, left);
        assertThat(block).as("the chunk left on the bus is a block of the input").isNotNegative();
    }

    private static int indexOfBlock(byte[] input, byte[] chunk) {
        for (int offset = 0; offset + chunk.length <= input.length; offset += chunk.length) {
            if (java.util.Arrays.equals(input, offset, offset + chunk.length, chunk, 0, chunk.length)) {
                return offset / chunk.length;
            }
        }
        return -1;
    }

    @Test
    void shouldEndAnIdleLossyConsumerAsSoonAsItsOutputCloses() throws Exception {
        // One chunk and then a quiet bus: the consumer has nothing more to write, yet the
        // pipeline must end when head has its bytes.
        Path bus = folder.resolve("bus");
        Files.writeString(bus, "0123456789abcdef");
        Path errors = folder.resolve("consumer.err");
        Process pipeline = start(new ProcessBuilder("bash", "-c",
                "\"$0\" --filename \"$1\" consumer 2>\"$2\" | head -c 10; echo \" ${PIPESTATUS[0]}\"",
                Launcher.home().resolve("bin/filebus").toString(), bus.toString(), errors.toString()));
        CompletableFuture<byte[]> output = Launcher.drain(pipeline.getInputStream());

        awaitExit(pipeline, 0);
        assertThat(new String(output.get(), StandardCharsets.UTF_8)).isEqualTo("0123456789 141\n");
        assertThat(errors).isEmptyFile();
    }

    @Test
    void shouldOverwriteAStaleStagingFileOfACrashedProducer() throws Exception {
        Path bus = folder.resolve("bus");
        Files.writeString(folder.resolve("bus.__new__"), "garbage left by a crash");

        Launcher.Result producer = Launcher.run(filebus("--filename", bus.toString(), "producer"),
                "fresh".getBytes(StandardCharsets.UTF_8), LIMIT);

        assertThat(producer.exitStatus()).isZero();
        assertThat(bus).hasContent("fresh");
        assertThat(folder.resolve("bus.__new__")).doesNotExist();
    }

    @Test
    void shouldCreateTheParentFolderOfTheBus() throws Exception {
        Path bus = folder.resolve("a/b/c/bus");

        Launcher.Result producer = Launcher.run(filebus("--filename", bus.toString(), "producer"),
                "x".getBytes(StandardCharsets.UTF_8), LIMIT);

        assertThat(producer.exitStatus()).isZero();
        assertThat(bus).hasContent("x");
        assertThat(folder.resolve("a/b/c/bus.lock")).exists();
    }

    @Test
    void shouldChunkWholeLinesAsTheBashImplementationDoes() throws Exception {
        Path bus = folder.resolve("bus");
        Process consumer = start(filebus("--lossless", "--filename", bus.toString(), "consumer"));
        CompletableFuture<byte[]> output = Launcher.drain(consumer.getInputStream());

        Launcher.Result producer = Launcher.run(filebus("--lossless", "--impl", "bash", "--block-size", "10",
                "--filename", bus.toString(), "producer"), "aaaa\nbbbb\ncccc\n".getBytes(StandardCharsets.UTF_8), LIMIT);

        assertThat(producer.exitStatus()).isZero();
        awaitExit(consumer, 0);
        assertThat(new String(output.get(), StandardCharsets.UTF_8)).isEqualTo("aaaa\nbbbb\ncccc\n");
    }

    @Test
    void shouldWorkByPollingWithoutFileMonitoring() throws Exception {
        Path bus = folder.resolve("bus");
        Process consumer = start(filebus("--lossless", "--no-file-monitoring", "--sleep-interval", "0.01",
                "--filename", bus.toString(), "consumer"));
        CompletableFuture<byte[]> output = Launcher.drain(consumer.getInputStream());
        byte[] input = new byte[256 * 1024];
        new Random(7).nextBytes(input);

        Launcher.Result producer = Launcher.run(filebus("--lossless", "--no-file-monitoring", "--sleep-interval", "0.01",
                "--filename", bus.toString(), "producer"), input, LIMIT);

        assertThat(producer.exitStatus()).isZero();
        awaitExit(consumer, 0);
        assertThat(output.get()).isEqualTo(input);
    }

    private static StringBuffer collect(Process process) {
        return Launcher.collectText(process.getInputStream());
    }

    static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
    }
}
