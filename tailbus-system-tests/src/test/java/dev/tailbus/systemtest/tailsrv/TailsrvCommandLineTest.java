package dev.tailbus.systemtest.tailsrv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tailbus.systemtest.Launcher;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad command lines and unusable paths or ports: one line on stderr, the right exit status. */
class TailsrvCommandLineTest {
    @TempDir
    Path dir;

    private static Launcher.Result tailsrv(String... args) throws Exception {
        return Launcher.run(Launcher.command("tailsrv", args), new byte[0], Duration.ofSeconds(30));
    }

    private static void assertOneLine(Launcher.Result result, int status, String contains) {
        assertThat(result.exitStatus()).isEqualTo(status);
        assertThat(result.stderr().lines().filter(l -> !l.startsWith("Try ")).toList())
                .hasSize(1).first().asString().contains(contains);
        assertThat(result.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void shouldRefuseADirectoryWithOneLineAndStatusOne() throws Exception {
        assertOneLine(tailsrv("--bind", "127.0.0.1", "-p", "0", dir.toString()), 1, "is a directory");
    }

    @Test
    void shouldRefuseSomethingThatIsNotARegularFile() throws Exception {
        Path fifo = dir.resolve("fifo");
        new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor();
        assertOneLine(tailsrv("--bind", "127.0.0.1", "-p", "0", fifo.toString()), 1, "not a regular file");
    }

    @Test
    void shouldRefuseAnUnreadableFileWithOneLineAndStatusOne() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret"), "x");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("-w-------"));
        ProcessBuilder builder = Launcher.command("tailsrv", "--bind", "127.0.0.1", "-p", "0", secret.toString());
        if ("root".equals(System.getProperty("user.name"))) {
            // Root reads every file by its capabilities, not its uid. Drop those two and stay root:
            // the file's mode then refuses root as its owner, while the checkout, the JDK and the
            // launcher's caches stay reachable wherever they lie (another uid could not enter a
            // checkout cloned into a folder of mode 700).
            List<String> dropRead = List.of("/usr/bin/setpriv", "--bounding-set=-dac_override,-dac_read_search");
            assumeTrue(Files.isExecutable(Path.of(dropRead.getFirst())), "running as root without setpriv to drop privileges");
            List<String> probe = new ArrayList<>(dropRead);
            probe.add("true");
            assumeTrue(new ProcessBuilder(probe).start().waitFor() == 0,
                    "running as root without the right to drop capabilities (no CAP_SETPCAP)");
            builder.command().addAll(0, dropRead);
        }
        assertOneLine(Launcher.run(builder, new byte[0], Duration.ofSeconds(30)), 1, "cannot read " + secret + ": permission denied");
    }

    @Test
    void shouldRefuseAFileInAMissingFolder() throws Exception {
        assertOneLine(tailsrv("--bind", "127.0.0.1", "-p", "0", dir.resolve("no/such.log").toString()), 1, "does not exist");
    }

    @Test
    void shouldRefuseAPortAlreadyInUseWithOneLineAndStatusOne() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Launcher.Result result = tailsrv("--bind", "127.0.0.1", "-p", Integer.toString(taken.getLocalPort()), log.toString());
            assertOneLine(result, 1, "cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void shouldRefuseUsageErrorsWithStatusTwo() throws Exception {
        Path log = Files.writeString(dir.resolve("a.log"), "data");
        assertOneLine(tailsrv(log.toString()), 2, "PATH needs a port");
        assertOneLine(tailsrv(), 2, "name a file");
        assertOneLine(tailsrv("-p", "0", log.toString(), "--header-timeout", "soon"), 2, "not a positive duration");
        assertOneLine(tailsrv("-p", "0", log.toString(), "--header-limit", "1"), 2, "header limit");
        assertOneLine(tailsrv("-p", "70000", log.toString()), 2, "not in 0..65535");
        assertOneLine(tailsrv("--serve", "x:" + log), 2, "not a port number");
        assertOneLine(tailsrv("-p", "0", log.toString(), "--log-level", "loud"), 2, "--log-level");
    }
}
