package dev.tailbus.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A metrics address that cannot be served: one line on stderr and the right exit status, for both servers. */
class MetricsBadInputTest {
    @TempDir
    Path dir;

    /** Runs the tool through its own link in bin/, as a user does. */
    private static Launcher.Result run(String tool, String... args) throws Exception {
        return Launcher.run(Launcher.command(tool, args), new byte[0], Duration.ofSeconds(60));
    }

    @Test
    void shouldExitOneWithOneLineWhenTheMetricsPortIsInUse() throws Exception {
        Path file = Files.writeString(dir.resolve("a.log"), "x");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Launcher.Result protobus = run("protobus-server", "--address", "127.0.0.1:0", "--store-root",
                    dir.toString(), "--metrics-address", address);
            Launcher.Result tailsrv = run("tailsrv", "--bind", "127.0.0.1", "-p", "0", "--metrics-address",
                    address, file.toString());

            assertThat(protobus.exitStatus()).isEqualTo(1);
            assertThat(protobus.stderr().lines()).hasSize(1).first().asString()
                    .endsWith("protobus-server: cannot serve metrics on " + address + ": address already in use");
            assertThat(tailsrv.exitStatus()).isEqualTo(1);
            assertThat(tailsrv.stderr().lines()).hasSize(1).first().asString()
                    .endsWith("tailsrv: cannot serve metrics on " + address + ": address already in use");
        }
        // the store was not even opened
        assertThat(dir.resolve(".tailbus-log.lock")).doesNotExist();
    }

    @Test
    void shouldExitTwoOnAMalformedMetricsAddress() throws Exception {
        Launcher.Result result = run("protobus-server", "--address", "127.0.0.1:0", "--store-root",
                dir.toString(), "--metrics-address", "127.0.0.1");

        assertThat(result.exitStatus()).isEqualTo(2);
        assertThat(result.stderr().lines()).hasSize(1).first().asString()
                .contains("protobus-server: --metrics-address: address must be ADDRESS:PORT");
    }
}
