package dev.tailbus.systemtest;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code bin/protobus-server} process on 127.0.0.1 and a free port, as a user starts it; its
 * port is read from the "listening on" line it logs. {@link #close()} sends SIGTERM and waits.
 * Shared by the protobus server and client system tests.
 */
public final class ProtobusServerProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final int port;
    private final StringBuffer stderr = new StringBuffer();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final Thread stderrDrain;

    private ProtobusServerProcess(Process process, int port, String start, BufferedReader rest) {
        this.process = process;
        this.port = port;
        stderr.append(start);
        Thread drain = stderrDrain = new Thread(() -> {
            try (rest) {
                String line;
                while ((line = rest.readLine()) != null) {
                    stderr.append(line).append('\n');
                    System.out.println("[server] " + line); // kept in the test's report output
                }
            } catch (IOException e) {
                // process gone
            }
        }, "protobus-stderr");
        drain.setDaemon(true);
        drain.start();
        Launcher.drain(process.getInputStream());
    }

    /** Starts the server on {@code root} (port chosen by the system) with extra arguments. */
    public static ProtobusServerProcess start(Path root, String... args) throws Exception {
        return start(root, List.of(), args);
    }

    /** As {@link #start(Path, String...)} with JVM options (TAILBUS_JAVA_OPTS). */
    public static ProtobusServerProcess start(Path root, List<String> jvmOptions, String... args) throws Exception {
        return startOn(0, root, jvmOptions, args);
    }

    /** As {@link #start(Path, List, String...)} on a given port (0: chosen by the system), e.g. to restart. */
    public static ProtobusServerProcess startOn(int listenPort, Path root, List<String> jvmOptions, String... args)
            throws Exception {
        List<String> all = new ArrayList<>(List.of("--address", "127.0.0.1:" + listenPort, "--store-root", root.toString()));
        all.addAll(List.of(args));
        ProcessBuilder builder = Launcher.command("protobus-server", all.toArray(String[]::new));
        builder.environment().put("TAILBUS_JAVA_OPTS", String.join(" ", jvmOptions));
        Process process = builder.start();
        BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuffer seen = new StringBuffer(); // the lines up to the listening one, kept in stderr()
        Thread portReader = new Thread(() -> port.completeAsync(() -> {
            try {
                String line;
                while ((line = err.readLine()) != null) {
                    seen.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
                throw new IllegalStateException("server ended before listening: " + seen);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, Runnable::run), "protobus-port");
        portReader.setDaemon(true);
        portReader.start();
        try {
            int listening = port.get(60, TimeUnit.SECONDS);
            return new ProtobusServerProcess(process, listening, seen.toString(), err);
        } catch (Exception e) {
            process.destroyForcibly();
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    /** A plaintext channel to the server, closed with it. */
    public ManagedChannel channel() {
        ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        channels.add(c);
        return c;
    }

    public String stderr() {
        return stderr.toString();
    }

    /** Sends SIGTERM and returns the exit status. */
    public int stop() throws InterruptedException, TimeoutException {
        // Through the handle: Process.destroy() would also close our end of its stderr.
        process.toHandle().destroy();
        boolean ended = process.waitFor(60, TimeUnit.SECONDS);
        stderrDrain.join(10_000);
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
        if (!ended) {
            process.destroyForcibly();
            throw new TimeoutException("server did not stop within 60 s after SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            stop();
        }
    }

    public static Duration timeout() {
        return Duration.ofSeconds(30);
    }
}
