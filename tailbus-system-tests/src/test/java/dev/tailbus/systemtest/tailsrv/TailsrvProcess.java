package dev.tailbus.systemtest.tailsrv;

import dev.tailbus.systemtest.Launcher;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A running {@code bin/tailsrv} process: started with port 0, it tells its ports on stderr
 * ("tailsrv: serving PATH on ADDRESS:PORT"), which this reads; stderr is kept for assertions.
 */
final class TailsrvProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("^tailsrv: serving (.+) on (.+):(\\d+)$");

    private final Process process;
    private final List<String> stderr = new CopyOnWriteArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private final CompletableFuture<Void> drained;

    private TailsrvProcess(Process process, int files) throws IOException {
        this.process = process;
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        while (ports.size() < files) {
            String line = lines.readLine();
            if (line == null) {
                throw new IllegalStateException("tailsrv ended before serving: " + stderr);
            }
            stderr.add(line);
            Matcher m = SERVING.matcher(line);
            if (m.matches()) {
                ports.add(Integer.parseInt(m.group(3)));
            }
        }
        drained = CompletableFuture.runAsync(() -> {
            try (lines) {
                for (String line; (line = lines.readLine()) != null; ) {
                    stderr.add(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        Launcher.drain(process.getInputStream());
    }

    /** Starts {@code bin/tailsrv --bind 127.0.0.1 -p 0 ARGS... PATH} and waits for its port. */
    static TailsrvProcess serve(Path path, String... args) throws IOException {
        return serve(List.of(), path, args);
    }

    /** As {@link #serve(Path, String...)}, with JVM options (TAILBUS_JAVA_OPTS). */
    static TailsrvProcess serve(List<String> jvmOptions, Path path, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of("--bind", "127.0.0.1", "-p", "0"));
        all.addAll(List.of(args));
        all.add(path.toString());
        return start(jvmOptions, 1, all.toArray(String[]::new));
    }

    /** Starts {@code bin/tailsrv ARGS...} and waits until it announced {@code files} ports. */
    static TailsrvProcess start(int files, String... args) throws IOException {
        return start(List.of(), files, args);
    }

    /** As {@link #start(int, String...)}, with JVM options (TAILBUS_JAVA_OPTS). */
    static TailsrvProcess start(List<String> jvmOptions, int files, String... args) throws IOException {
        ProcessBuilder builder = Launcher.command("tailsrv", args);
        if (!jvmOptions.isEmpty()) {
            builder.environment().put("TAILBUS_JAVA_OPTS", String.join(" ", jvmOptions));
        }
        return new TailsrvProcess(builder.start(), files);
    }

    int port() {
        return ports.getFirst();
    }

    List<Integer> ports() {
        return ports;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    List<String> stderr() {
        return stderr;
    }

    /** The number of descriptors the process has open now. */
    long openFiles() throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            return fds.count();
        }
    }

    /** The names of the process's threads, as the kernel keeps them (15 characters at most). */
    List<String> threadNames() throws IOException {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    names.add(Files.readString(task.resolve("comm")).strip());
                } catch (IOException e) {
                    // The thread ended while listing.
                }
            }
        }
        return names;
    }

    /** Waits for the process to end by itself and returns its exit status, or -1 on timeout. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return -1;
        }
        drained.handle((ok, e) -> null).join();
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
