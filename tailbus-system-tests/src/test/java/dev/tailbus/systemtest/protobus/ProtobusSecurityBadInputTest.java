package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusTlsTest.stderrLines;
import static dev.tailbus.systemtest.protobus.ProtobusTlsTest.tailbus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A missing or unreadable certificate, key, CA or token file, a key of another certificate, a
 * malformed token line: one line naming the file (and line) and exit 1 (cannot read) or 2 (wrong
 * content), never a stack trace; from protobus-server and from the client commands alike.
 */
class ProtobusSecurityBadInputTest {
    @TempDir
    static Path root;
    static TestCertificates certs;
    static Path store;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.make(root.resolve("certs"));
        store = Files.createDirectory(root.resolve("store"));
    }

    private static void assertServerRefuses(int status, String line, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("protobus-server", "--address", "127.0.0.1:0", "--store-root",
                store.toString()));
        all.addAll(List.of(args));
        assertRefused(tailbus(Map.of(), "", all.toArray(String[]::new)), status, "tailbus protobus-server: " + line);
    }

    private static void assertRefused(Launcher.Result r, int status, String line) {
        assertThat(stderrLines(r)).as("exit %d", r.exitStatus()).containsExactly(line);
        assertThat(r.exitStatus()).isEqualTo(status);
    }

    @Test
    void shouldRefuseToStartTheServerOnABadCertificateKeyCaOrTokenFileInOneLineNamingIt() throws Exception {
        String cert = certs.serverCert().toString();
        String key = certs.serverKey().toString();
        Path missing = root.resolve("missing.pem");
        assertServerRefuses(1, "cannot read certificate file " + missing + ": no such file",
                "--tls-cert", missing.toString(), "--tls-key", key);
        assertServerRefuses(1, "cannot read key file " + root + ": it is a folder", "--tls-cert", cert, "--tls-key", root.toString());
        assertServerRefuses(2, "key file " + certs.clientKey() + " does not match certificate " + cert + " (CN=127.0.0.1)",
                "--tls-cert", cert, "--tls-key", certs.clientKey().toString());
        assertServerRefuses(2, "certificate file " + key + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                "--tls-cert", key, "--tls-key", key);
        assertServerRefuses(2, "give --tls-cert and --tls-key together", "--tls-key", key);
        assertServerRefuses(2, "--http-address cannot be combined with --tls-cert: the HTTP face reaches the server's "
                + "gRPC port in plain text", "--tls-cert", cert, "--tls-key", key, "--http-address", "127.0.0.1:0");
        TestCertificates.openssl(root, "genrsa", "-traditional", "-out", "old.key", "2048");
        Path old = root.resolve("old.key");
        assertServerRefuses(2, "key file " + old + " holds an RSA key in the old format; convert it to PKCS#8 with: "
                + "openssl pkcs8 -topk8 -nocrypt -in " + old + " -out NEW_FILE", "--tls-cert", cert, "--tls-key", old.toString());
        assertServerRefuses(1, "cannot read CA certificate file " + missing + ": no such file",
                "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", missing.toString());

        assertServerRefuses(1, "cannot read access token file " + missing + ": no such file", "--auth-tokens", missing.toString());
        Path tokens = Files.writeString(root.resolve("tokens"), "# fine\ngood-token-000000001 publish=.*\n"
                + "other-token-00000001 publish=.* read=.*\n");
        assertServerRefuses(2, "access token file " + tokens + " line 3: unknown right 'read=.*' "
                + "(expected publish=REGEX, subscribe=REGEX or admin)", "--auth-tokens", tokens.toString());
    }

    @Test
    void shouldSayPermissionDeniedForACertificateKeyCaOrTokenFileThatMayNotBeRead() throws Exception {
        Path locked = Files.writeString(root.resolve("locked.pem"), "-----BEGIN CERTIFICATE-----\n");
        Files.setPosixFilePermissions(locked, Set.of());
        String cert = certs.serverCert().toString();
        String key = certs.serverKey().toString();
        String server = "tailbus protobus-server: cannot read ";
        assertRefused(unprivileged("protobus-server", "--address", "127.0.0.1:0", "--store-root", store.toString(),
                "--tls-cert", locked.toString(), "--tls-key", key), 1, server + "certificate file " + locked + ": permission denied");
        assertRefused(unprivileged("protobus-server", "--address", "127.0.0.1:0", "--store-root", store.toString(),
                "--tls-cert", cert, "--tls-key", locked.toString()), 1, server + "key file " + locked + ": permission denied");
        assertRefused(unprivileged("protobus-server", "--address", "127.0.0.1:0", "--store-root", store.toString(),
                        "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", locked.toString()),
                1, server + "CA certificate file " + locked + ": permission denied");
        assertRefused(unprivileged("protobus-server", "--address", "127.0.0.1:0", "--store-root", store.toString(),
                "--auth-tokens", locked.toString()), 1, server + "access token file " + locked + ": permission denied");
        assertRefused(unprivileged("topics", "-a", "127.0.0.1:1", "--tls-ca", locked.toString()),
                1, "tailbus topics: cannot read CA certificate file " + locked + ": permission denied");
    }

    /**
     * Runs {@code bin/tailbus ARGS...} as a process that file modes bind: as root, through setpriv
     * without the capabilities that override them (skipped where there is no setpriv).
     */
    private static Launcher.Result unprivileged(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            Launcher.Result check = Launcher.run(new ProcessBuilder("setpriv", "--version"), new byte[0], Duration.ofSeconds(10));
            Assumptions.assumeTrue(check.exitStatus() == 0, "skipped: running as root without setpriv (util-linux), "
                    + "so no file is unreadable");
            command.addAll(List.of("setpriv", "--bounding-set", "-dac_override,-dac_read_search"));
        }
        command.addAll(Launcher.command("tailbus", args).command());
        return Launcher.run(new ProcessBuilder(command), new byte[0], Duration.ofSeconds(60));
    }

    @Test
    void shouldRefuseABadCaCertificateOrKeyFileOfAClientInOneLineNamingIt() throws Exception {
        Path missing = root.resolve("missing-ca.pem");
        assertRefused(tailbus(Map.of("TAILBUS_TLS_CA", missing.toString()), "", "topics", "-a", "127.0.0.1:1"),
                1, "tailbus topics: cannot read CA certificate file " + missing + ": no such file");
        assertRefused(tailbus(Map.of(), "", "subscribe", "-a", "127.0.0.1:1", "--tls-ca", certs.caCert().toString(),
                        "--tls-cert", certs.clientCert().toString(), "--tls-key", certs.otherKey().toString()),
                2, "tailbus subscribe: key file " + certs.otherKey() + " does not match certificate " + certs.clientCert()
                        + " (CN=tailbus test client)");
        assertRefused(tailbus(Map.of(), "x\n", "publish", "-t", "a", "-a", "127.0.0.1:1",
                        "--tls-cert", certs.clientCert().toString()),
                2, "tailbus publish: give --tls-cert and --tls-key together (or TAILBUS_TLS_CERT and TAILBUS_TLS_KEY)");
    }
}
