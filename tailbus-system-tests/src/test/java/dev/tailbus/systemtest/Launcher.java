package dev.tailbus.systemtest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Starts the tools the way a user does: as processes of {@code bin/tailbus} (or of a link to it
 * such as {@code bin/filebus}) in the checkout under test.
 */
public final class Launcher {
    /**
     * Blocking stream copies run here, not in the common pool: with few CPUs that pool has one
     * thread, and a stream of a long-running process would hold it for good.
     */
    private static final ExecutorService IO = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "launcher-io");
        t.setDaemon(true);
        return t;
    });

    private Launcher() {
    }

    /** The checkout's root, handed over by the build as the system property {@code tailbus.home}. */
    public static Path home() {
        String home = System.getProperty("tailbus.home");
        if (home == null) {
            throw new IllegalStateException("system property tailbus.home is not set (run through Maven)");
        }
        return Path.of(home).toAbsolutePath().normalize();
    }

    /** A process builder for {@code bin/NAME ARGS...}; NAME is {@code tailbus} or a tool's link. */
    public static ProcessBuilder command(String name, String... args) {
        List<String> command = new ArrayList<>();
        command.add(home().resolve("bin").resolve(name).toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /** Starts {@code bin/tailbus ARGS...}. */
    public static Process start(String... args) throws IOException {
        return command("tailbus", args).start();
    }

    /** What a finished process left: its exit status, its stdout bytes and its stderr text. */
    public record Result(int exitStatus, byte[] stdout, String stderr) {
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /**
     * Runs {@code builder} to its end with {@code stdin} as its input, and kills it if it has not
     * ended within {@code timeout} (the test then fails on the exit status it sees).
     */
    public static Result run(ProcessBuilder builder, byte[] stdin, Duration timeout) throws IOException, InterruptedException {
        Process process = builder.start();
        CompletableFuture<byte[]> out = drain(process.getInputStream());
        CompletableFuture<byte[]> err = drain(process.getErrorStream());
        CompletableFuture<Void> in = CompletableFuture.runAsync(() -> {
            try (OutputStream stdinStream = process.getOutputStream()) {
                stdinStream.write(stdin);
            } catch (IOException e) {
                // The process may end without reading all of its input; that is its right.
            }
        }, IO);
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        in.join();
        return new Result(process.exitValue(), out.join(), new String(err.join(), StandardCharsets.UTF_8));
    }

    /** Runs {@code bin/tailbus ARGS...} with empty input, for at most 60 seconds. */
    public static Result run(String... args) throws IOException, InterruptedException {
        return run(command("tailbus", args), new byte[0], Duration.ofSeconds(60));
    }

    /** Reads a stream to its end on another thread. */
    public static CompletableFuture<byte[]> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                stream.transferTo(bytes);
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, IO);
    }
}
