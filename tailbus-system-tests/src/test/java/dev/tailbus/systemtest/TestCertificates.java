package dev.tailbus.systemtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Certificates made at test time with the machine's {@code openssl}, valid for two days: a CA,
 * a server certificate it signed for 127.0.0.1 and localhost, a client certificate it signed,
 * and a second, unknown CA with a client certificate of its own. Keys are PKCS#8 PEM, as
 * {@code openssl req -newkey} writes them. Tests skip, with the reason, when {@code openssl} is
 * missing.
 *
 * @param caCert       the CA's certificate
 * @param serverCert   the server's certificate (subject alternative names IP:127.0.0.1, DNS:localhost)
 * @param serverKey    its key
 * @param clientCert   a client certificate of the CA
 * @param clientKey    its key
 * @param otherCaCert  another CA's certificate (which signed nothing the server has)
 * @param otherCert    a client certificate of the other CA
 * @param otherKey     its key
 */
public record TestCertificates(Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey,
                               Path otherCaCert, Path otherCert, Path otherKey) {
    private static final String OPENSSL = "openssl";

    /** Makes the certificates in {@code dir}, or skips the test when openssl cannot be run. */
    public static TestCertificates make(Path dir) throws Exception {
        Launcher.Result version;
        try {
            version = Launcher.run(new ProcessBuilder(OPENSSL, "version"), new byte[0], Duration.ofSeconds(30));
        } catch (java.io.IOException e) {
            version = null;
        }
        Assumptions.assumeTrue(version != null && version.exitStatus() == 0,
                "skipped: no openssl on the PATH to make test certificates (apt-get install -y openssl)");
        Files.createDirectories(dir);
        selfSigned(dir, "ca", "tailbus test CA");
        signed(dir, "server", "127.0.0.1", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        signed(dir, "client", "tailbus test client", "ca", "extendedKeyUsage=clientAuth");
        selfSigned(dir, "other-ca", "some other CA");
        signed(dir, "other", "client of another CA", "other-ca", "extendedKeyUsage=clientAuth");
        return new TestCertificates(dir.resolve("ca.pem"), dir.resolve("server.pem"), dir.resolve("server.key"),
                dir.resolve("client.pem"), dir.resolve("client.key"), dir.resolve("other-ca.pem"),
                dir.resolve("other.pem"), dir.resolve("other.key"));
    }

    private static void selfSigned(Path dir, String name, String subject) throws Exception {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + subject,
                "-keyout", name + ".key", "-out", name + ".pem");
    }

    private static void signed(Path dir, String name, String subject, String ca, String extension) throws Exception {
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + subject,
                "-keyout", name + ".key", "-out", name + ".csr");
        Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
        openssl(dir, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem");
    }

    /** Runs {@code openssl ARGS...} in {@code dir}; throws with its stderr when it fails. */
    public static void openssl(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(OPENSSL));
        command.addAll(List.of(args));
        Launcher.Result r = Launcher.run(new ProcessBuilder(command).directory(dir.toFile()), new byte[0],
                Duration.ofSeconds(60));
        if (r.exitStatus() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + r.stderr());
        }
    }
}
