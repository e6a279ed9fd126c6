package dev.tailbus.bench.tailsrv;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code bin/tailsrv} process under measurement: its ports (read from its "serving" lines),
 * and its resident memory and thread count from {@code /proc}.
 */
final class TailsrvProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("^tailsrv: serving .+ on .+:(\\d+)$");

    private final Process process;
    private final List<Integer> ports = new ArrayList<>();

    private TailsrvProcess(Process process, int files) throws IOException {
        this.process = process;
        BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        while (ports.size() < files) {
            String line = err.readLine();
            if (line == null) {
                throw new IOException("tailsrv ended before serving: " + seen);
            }
            seen.add(line);
            Matcher m = SERVING.matcher(line);
            if (m.matches()) {
                ports.add(Integer.parseInt(m.group(1)));
            }
        }
        Thread.ofVirtual().start(() -> {
            try (err) {
                err.transferTo(java.io.Writer.nullWriter());
            } catch (IOException e) {
                // The process ended; nothing more to read.
            }
        });
    }

    /** Starts {@code bin/tailsrv --bind 127.0.0.1 ARGS...}, waiting for {@code files} ports. */
    static TailsrvProcess start(Path home, int files, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/tailsrv").toString(), "--bind", "127.0.0.1"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        return new TailsrvProcess(builder.start(), files);
    }

    int port(int index) {
        return ports.get(index);
    }

    /** Resident memory in MiB, from VmRSS. */
    double rssMiB() throws IOException {
        return status("VmRSS") / 1024.0;
    }

    /** The names of the process's threads (as the kernel keeps them: 15 characters at most). */
    List<String> threadNames() throws IOException {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
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

    long openFiles() throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
            return fds.count();
        }
    }

    private long status(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        }
        throw new IOException("no " + field + " in /proc/" + process.pid() + "/status");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
