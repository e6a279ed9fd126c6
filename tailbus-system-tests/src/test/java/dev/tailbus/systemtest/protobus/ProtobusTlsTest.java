package dev.tailbus.systemtest.protobus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tailbus.protobus.admin.proto.AdminGrpc;
import dev.tailbus.protobus.admin.proto.ListTopicsRequest;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import dev.tailbus.protobus.client.BusAdmin;
import dev.tailbus.protobus.client.BusCredentials;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusException;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.ProtobusServerProcess;
import dev.tailbus.systemtest.TestCertificates;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * protobus-server with {@code --tls-cert} and {@code --tls-key} (and {@code --tls-client-ca}),
 * reached by the client commands and the library with {@code --tls-ca} and client certificates,
 * with certificates made for 127.0.0.1 at test time.
 */
class ProtobusTlsTest {
    @TempDir
    static Path root;
    static TestCertificates certs;
    static ProtobusServerProcess server;
    static String address;

    @BeforeAll
    static void startServer() throws Exception {
        certs = TestCertificates.make(root.resolve("certs"));
        server = ProtobusServerProcess.start(Files.createDirectory(root.resolve("store")),
                "--tls-cert", certs.serverCert().toString(), "--tls-key", certs.serverKey().toString());
        address = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static Launcher.Result tailbus(Map<String, String> env, String stdin, String... args) throws Exception {
        ProcessBuilder b = Launcher.command("tailbus", args);
        b.environment().putAll(env);
        return Launcher.run(b, stdin.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(60));
    }

    static List<String> stderrLines(Launcher.Result r) {
        return r.stderr().lines().filter(l -> !l.isBlank()).toList();
    }

    private static BusCredentials trusting(Path ca) {
        return BusCredentials.NONE.withTlsCa(ca);
    }

    @Test
    void shouldPublishSubscribeAndListOverTlsFromTheCommandsAndTheLibrary() throws Exception {
        Launcher.Result published = tailbus(Map.of(), "one\ntwo\nthree\n", "publish", "-t", "tls/cli", "-a", address,
                "--tls-ca", certs.caCert().toString());
        assertThat(published.exitStatus()).as(published.stderr()).isZero();

        try (BusPublisher p = BusPublisher.builder(address).credentials(trusting(certs.caCert())).build()) {
            p.publish(BusEvent.of("tls/lib", "four".getBytes(StandardCharsets.UTF_8)));
        }
        try (BusSubscriber s = BusSubscriber.builder(address).credentials(trusting(certs.caCert()))
                .topics("tls/").history(10).build()) {
            List<String> got = List.of(s.take(), s.take(), s.take(), s.take()).stream()
                    .map(e -> e.topic() + " " + new String(e.payloadBytes(), StandardCharsets.UTF_8)).toList();
            assertThat(got).containsExactly("tls/cli one", "tls/cli two", "tls/cli three", "tls/lib four");
        }

        Launcher.Result subscribed = tailbus(Map.of("TAILBUS_TLS_CA", certs.caCert().toString()), "",
                "subscribe", "tls/", "--history", "10", "-n", "4", "-f", "raw", "-a", address);
        assertThat(subscribed.exitStatus()).as(subscribed.stderr()).isZero();
        assertThat(subscribed.stdoutText()).isEqualTo("one\ntwo\nthree\nfour\n");

        assertThat(BusAdmin.listTopics(address, trusting(certs.caCert()), List.of(), Duration.ofSeconds(10)).getTopicsList())
                .extracting(TopicInfo::getTopic).contains("tls/cli", "tls/lib");
    }

    @Test
    void shouldRefuseAPlainTextClientAndStoreNothingOfIt() throws Exception {
        Launcher.Result plain = tailbus(Map.of(), "x\n", "publish", "-t", "tls/plain", "-a", address);
        assertThat(plain.exitStatus()).isEqualTo(1);
        assertThat(stderrLines(plain)).singleElement().asString()
                .startsWith("tailbus publish: cannot publish to tls/plain: server " + address + " unreachable (connection ")
                .endsWith(" by the server; if it uses TLS, give --tls-ca or TAILBUS_TLS_CA)");

        assertThatThrownBy(() -> {
            try (BusPublisher p = BusPublisher.builder(address).build()) {
                p.publish(BusEvent.of("tls/plain", new byte[1]));
            }
        }).isInstanceOf(BusException.class).hasMessageContaining("unreachable");
        assertThatThrownBy(() -> AdminGrpc.newBlockingStub(server.channel()).listTopics(ListTopicsRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));

        assertThat(BusAdmin.listTopics(address, trusting(certs.caCert()), List.of("tls/plain"), Duration.ofSeconds(10))
                .getTopicsList()).isEmpty();
    }

    @Test
    void shouldRefuseAServerCertificateThatAnUnknownCaSignedWithOneClearLine() throws Exception {
        String expected = "TLS with " + address + " failed: the server's certificate is not signed by a trusted CA "
                + "(check --tls-ca or TAILBUS_TLS_CA)";
        Launcher.Result publish = tailbus(Map.of(), "x\n", "publish", "-t", "tls/unknown", "-a", address,
                "--tls-ca", certs.otherCaCert().toString());
        assertThat(publish.exitStatus()).isEqualTo(1);
        assertThat(stderrLines(publish)).containsExactly("tailbus publish: cannot publish to tls/unknown: " + expected);

        assertThatThrownBy(() -> BusSubscriber.builder(address).credentials(trusting(certs.otherCaCert())).build())
                .isInstanceOf(BusException.class).hasMessage("cannot subscribe: " + expected);
        assertThatThrownBy(() -> BusAdmin.listTopics(address, trusting(certs.otherCaCert()), List.of(), Duration.ofSeconds(10)))
                .isInstanceOf(BusException.class).hasMessage("cannot list topics: " + expected);
    }

    @Test
    void shouldRequireAClientCertificateThatTheClientCaSignedForMutualTls() throws Exception {
        try (ProtobusServerProcess mutual = ProtobusServerProcess.start(Files.createDirectories(root.resolve("mutual")),
                "--tls-cert", certs.serverCert().toString(), "--tls-key", certs.serverKey().toString(),
                "--tls-client-ca", certs.caCert().toString())) {
            String at = "127.0.0.1:" + mutual.port();
            String ca = certs.caCert().toString();

            Launcher.Result without = tailbus(Map.of(), "x\n", "publish", "-t", "mtls/a", "-a", at, "--tls-ca", ca);
            assertThat(without.exitStatus()).isEqualTo(1);
            assertThat(stderrLines(without)).singleElement().asString().startsWith("tailbus publish: cannot publish to mtls/a: "
                    + "TLS with " + at + " failed: the server refused the handshake; it may require a client certificate");

            assertThatThrownBy(() -> BusAdmin.listTopics(at, trusting(certs.caCert())
                    .withClientCertificate(certs.otherCert(), certs.otherKey()), List.of(), Duration.ofSeconds(10)))
                    .as("a client certificate of another CA").isInstanceOf(BusException.class)
                    .hasMessageContaining("failed: the server refused the handshake");

            Launcher.Result with = tailbus(Map.of("TAILBUS_TLS_CERT", certs.clientCert().toString(),
                    "TAILBUS_TLS_KEY", certs.clientKey().toString()), "x\n", "publish", "-t", "mtls/a", "-a", at, "--tls-ca", ca);
            assertThat(with.exitStatus()).as(with.stderr()).isZero();

            assertThatThrownBy(() -> BusSubscriber.builder(at).credentials(trusting(certs.caCert())).build())
                    .isInstanceOf(BusException.class).hasMessageContaining("may require a client certificate");
            BusCredentials client = trusting(certs.caCert()).withClientCertificate(certs.clientCert(), certs.clientKey());
            assertThat(BusAdmin.listTopics(at, client, List.of(), Duration.ofSeconds(10)).getTopicsList())
                    .extracting(TopicInfo::getTopic).containsExactly("mtls/a");
            try (BusSubscriber s = BusSubscriber.builder(at).credentials(client).history(1).build()) {
                assertThat(new String(s.take().payloadBytes(), StandardCharsets.UTF_8)).isEqualTo("x");
            }
        }
    }
}
