package dev.tailbus.systemtest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The processes a test started, killed after the test whatever its outcome, so that a failing
 * test leaves nothing running. Register with {@code @RegisterExtension}.
 */
public final class StartedProcesses implements AfterEachCallback {
    private final List<Process> started = new ArrayList<>();

    /** Starts {@code builder}'s process and remembers it. */
    public synchronized Process start(ProcessBuilder builder) throws IOException {
        Process process = builder.start();
        started.add(process);
        return process;
    }

    @Override
    public synchronized void afterEach(ExtensionContext context) {
        started.forEach(Process::destroyForcibly);
        started.clear();
    }
}
