package dev.tailbus.systemtest.clients;

import dev.tailbus.systemtest.Launcher;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Runs {@code bin/tailbus publish|subscribe|topics} for the client system tests. */
final class ClientCommands {
    private ClientCommands() {
    }

    /** {@code bin/tailbus ARGS...}. */
    static ProcessBuilder tailbus(String... args) {
        return Launcher.command("tailbus", args);
    }

    static Launcher.Result run(byte[] stdin, String... args) throws IOException, InterruptedException {
        return Launcher.run(tailbus(args), stdin, Duration.ofSeconds(60));
    }

    static Launcher.Result run(String stdin, String... args) throws IOException, InterruptedException {
        return run(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    /** stderr without blank lines. */
    static String errorLines(Launcher.Result r) {
        return Arrays.stream(r.stderr().split("\n")).filter(l -> !l.isBlank()).collect(Collectors.joining("\n"));
    }
}
