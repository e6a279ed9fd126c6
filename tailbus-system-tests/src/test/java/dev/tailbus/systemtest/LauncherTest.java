package dev.tailbus.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LauncherTest {
    @TempDir
    Path folder;

    @Test
    void shouldPrintTheVersion() throws Exception {
        Launcher.Result result = Launcher.run("--version");

        assertThat(result.exitStatus()).isZero();
        assertThat(result.stdoutText()).startsWith("tailbus ");
        assertThat(result.stderr()).isEmpty();
    }

    @Test
    void shouldRefuseAnUnknownToolWithOneLineAndStatusTwo() throws Exception {
        Launcher.Result result = Launcher.run("no-such-tool");

        assertThat(result.exitStatus()).isEqualTo(2);
        assertThat(result.stderr()).contains("no-such-tool").doesNotContain("Exception").doesNotContain("\tat ");
    }

    /**
     * The classes a run of {@code bin/tailbus ARGS} loaded or initialized, one line each (the
     * ahead-of-time cache maps all of its classes at start; a class the run uses is initialized).
     */
    private List<String> classesTouchedBy(String... args) throws Exception {
        Path log = Files.createTempFile(folder, "classes", ".log");
        ProcessBuilder builder = Launcher.command("tailbus", args);
        builder.environment().put("TAILBUS_JAVA_OPTS", "-Xlog:class+load=info,class+init=info:file=" + log);
        Launcher.Result result = Launcher.run(builder, new byte[0], Duration.ofSeconds(60));
        assertThat(result.exitStatus()).as(result.stderr()).isZero();
        return Files.readAllLines(log);
    }

    private static boolean grpcOrProtobuf(String line) {
        return line.contains(" io.grpc.") || line.contains(" com.google.protobuf.") || line.contains("'io/grpc/")
                || line.contains("'com/google/protobuf/");
    }

    @Test
    void shouldTouchNeitherGrpcNorProtobufForFilebusOrTailsrvNorPicocliForTheQuickCommands() throws Exception {
        Path bus = Files.writeString(folder.resolve("bus"), "x");
        for (List<String> args : List.of(List.of("--version"), List.of("filebus", "--help"),
                List.of("filebus", "--filename", bus.toString(), "--no-file-monitoring", "producer"))) {
            assertThat(classesTouchedBy(args.toArray(String[]::new))).as("%s", args)
                    .noneMatch(LauncherTest::grpcOrProtobuf)
                    .noneMatch(l -> l.contains("Initializing 'picocli/CommandLine$Model"));
        }
        assertThat(classesTouchedBy("tailsrv", "--help")).noneMatch(LauncherTest::grpcOrProtobuf);
    }

    /** A copy of the launcher and its jar in a folder of its own, as a checkout holds them. */
    private Path checkoutCopy() throws Exception {
        Path home = folder.resolve("checkout");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("tailbus-cli/target"));
        for (String script : List.of("bin/tailbus", "bin/jdk.sh")) {
            Files.copy(Launcher.home().resolve(script), home.resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Files.copy(Launcher.home().resolve("tailbus-cli/target/tailbus.jar"), home.resolve("tailbus-cli/target/tailbus.jar"),
                StandardCopyOption.COPY_ATTRIBUTES);
        return home;
    }

    private static ProcessBuilder launcher(Path home, String... args) {
        List<String> command = new ArrayList<>();
        command.add(home.resolve("bin/tailbus").toString());
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private static void assertVersionAndNothingElse(Launcher.Result result) {
        assertThat(result.exitStatus()).as(result.stderr()).isZero();
        assertThat(result.stdoutText()).startsWith("tailbus ");
        assertThat(result.stderr()).isEmpty();
    }

    @Test
    void shouldReplaceAStaleCacheOnceWhileLaunchersStartTogetherAndUseTheNewOne() throws Exception {
        Path home = checkoutCopy();
        Path target = home.resolve("tailbus-cli/target");
        Path jar = target.resolve("tailbus.jar");
        Path cache = Files.writeString(target.resolve("tailbus.aot"), "a cache of an older jar");
        Files.setLastModifiedTime(cache, FileTime.from(Files.getLastModifiedTime(jar).toInstant().minusSeconds(60)));

        List<Process> together = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            together.add(launcher(home, "--version").start());
        }
        for (Process p : together) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(new String(p.getInputStream().readAllBytes())).startsWith("tailbus ");
            assertThat(new String(p.getErrorStream().readAllBytes())).isEmpty();
        }
        // made in the background by one of them, renamed into place whole
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() ->
                Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(jar)) > 0 && temporaryFiles(target) == 0);
        assertThat(Files.size(cache)).isGreaterThan(1 << 20);

        Path log = target.resolve("classes.log");
        ProcessBuilder withCache = launcher(home, "--version");
        withCache.environment().put("TAILBUS_JAVA_OPTS", "-Xlog:class+load:file=" + log);
        assertVersionAndNothingElse(Launcher.run(withCache, new byte[0], Duration.ofSeconds(60)));
        assertThat(Files.readAllLines(log)).anyMatch(l -> l.contains("dev.tailbus.cli.Tailbus source: shared objects file"));
    }

    private static long temporaryFiles(Path target) throws Exception {
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")
                    || p.getFileName().toString().endsWith(".tmp.config")).count();
        }
    }

    @Test
    void shouldRunQuietlyWithACacheTheJvmRefuses() throws Exception {
        Path home = checkoutCopy();
        Path cache = Files.writeString(home.resolve("tailbus-cli/target/tailbus.aot"), "not a cache");
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(60)));

        assertVersionAndNothingElse(Launcher.run(launcher(home, "--version"), new byte[0], Duration.ofSeconds(60)));
        assertThat(cache).hasContent("not a cache");
    }

    @Test
    void shouldRunQuietlyWithoutACacheWhereItMayNotWrite() throws Exception {
        Path home = checkoutCopy();
        Path target = home.resolve("tailbus-cli/target");
        ProcessBuilder builder = launcher(home, "filebus", "--help");
        if ("root".equals(System.getProperty("user.name"))) {
            // root writes anywhere by its capabilities: without them, the folder's mode holds
            List<String> dropWrite = List.of("/usr/bin/setpriv", "--bounding-set=-dac_override,-dac_read_search");
            assumeTrue(Files.isExecutable(Path.of(dropWrite.getFirst())), "running as root without setpriv");
            List<String> probe = new ArrayList<>(dropWrite);
            probe.add("true");
            assumeTrue(new ProcessBuilder(probe).start().waitFor() == 0, "running as root without CAP_SETPCAP");
            builder.command().addAll(0, dropWrite);
        }
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            Launcher.Result result = Launcher.run(builder, new byte[0], Duration.ofSeconds(60));
            assertThat(result.exitStatus()).as(result.stderr()).isZero();
            assertThat(result.stdoutText()).contains("Usage: tailbus filebus");
            assertThat(result.stderr()).isEmpty();
            try (Stream<Path> files = Files.list(target)) {
                assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("tailbus.jar");
            }
        } finally {
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
