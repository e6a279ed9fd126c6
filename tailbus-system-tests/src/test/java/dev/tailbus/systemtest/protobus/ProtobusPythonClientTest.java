package dev.tailbus.systemtest.protobus;

import dev.tailbus.systemtest.ProtobusServerProcess;
import static dev.tailbus.systemtest.protobus.ProtobusClients.publish;
import static dev.tailbus.systemtest.protobus.ProtobusClients.request;
import static dev.tailbus.systemtest.protobus.ProtobusClients.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.protobuf.StringValue;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.TestCertificates;
import dev.tailbus.systemtest.protobus.ProtobusClients.Subscriber;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Python client generated from tailbus's own .proto files (Debian's python3-grpcio,
 * python3-protobuf and python3-grpc-tools, run by /usr/bin/python3) publishes to and subscribes
 * from the server, together with a grpc-java client.
 */
class ProtobusPythonClientTest {
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    static Path work;
    static Path generated;
    static Path script;

    @BeforeAll
    static void generateTheClient() throws Exception {
        Launcher.Result check = Launcher.run(new ProcessBuilder(PYTHON, "-c", "import grpc, grpc_tools, google.protobuf"),
                new byte[0], Duration.ofSeconds(30));
        Assumptions.assumeTrue(check.exitStatus() == 0, "skipped: " + PYTHON + " lacks grpc/grpc_tools/protobuf; "
                + "install them with: apt-get install -y python3-grpcio python3-protobuf python3-grpc-tools ("
                + check.stderr().strip() + ")");
        Path protos = Launcher.home().resolve("tailbus-protobus/src/main/proto");
        generated = Files.createDirectory(work.resolve("generated"));
        Launcher.Result protoc = Launcher.run(new ProcessBuilder(PYTHON, "-m", "grpc_tools.protoc", "-I" + protos,
                "--python_out=" + generated, "--grpc_python_out=" + generated,
                protos.resolve("protobus_event.proto").toString(), protos.resolve("protobus_rpc.proto").toString()),
                new byte[0], Duration.ofSeconds(60));
        assertThat(protoc.exitStatus()).as(protoc.stderr()).isZero();
        assertThat(generated.resolve("protobus_rpc_pb2_grpc.py")).exists();
        script = work.resolve("protobus_client.py");
        try (InputStream in = ProtobusPythonClientTest.class.getResourceAsStream("protobus_client.py")) {
            Files.copy(in, script);
        }
    }

    private static Launcher.Result python(int port, String... args) throws Exception {
        return python(Map.of(), port, args);
    }

    private static Launcher.Result python(Map<String, String> env, int port, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON, script.toString(), generated.toString(),
                Integer.toString(port)));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        return Launcher.run(builder, new byte[0], Duration.ofSeconds(60));
    }

    @Test
    void shouldPublishAndSubscribeFromPythonOverTlsWithAnAccessToken() throws Exception {
        TestCertificates certs = TestCertificates.make(work.resolve("certs"));
        Path tokens = Files.writeString(work.resolve("tokens"), "python-token-0000001 publish=py/ subscribe=py/\n");
        Path store = Files.createDirectories(work.resolve("tls-store"));
        try (ProtobusServerProcess server = ProtobusServerProcess.start(store, "--tls-cert", certs.serverCert().toString(),
                "--tls-key", certs.serverKey().toString(), "--auth-tokens", tokens.toString())) {
            Map<String, String> tls = Map.of("PROTOBUS_TLS_CA", certs.caCert().toString(),
                    "PROTOBUS_TOKEN", "python-token-0000001");
            Launcher.Result published = python(tls, server.port(), "publish", "3", "py/tls");
            assertThat(published.exitStatus()).as(published.stderr()).isZero();
            assertThat(published.stdoutText().strip()).isEqualTo("0\tOK");

            Launcher.Result subscribed = python(tls, server.port(), "subscribe", "3", "py/");
            assertThat(subscribed.exitStatus()).as(subscribed.stderr()).isZero();
            assertThat(subscribed.stdoutText().lines().map(l -> l.split("\t")[2]).toList())
                    .containsExactly("from python 0", "from python 1", "from python 2");

            Launcher.Result noToken = python(Map.of("PROTOBUS_TLS_CA", certs.caCert().toString()), server.port(),
                    "subscribe", "3", "py/");
            assertThat(noToken.exitStatus()).isNotZero();
            assertThat(noToken.stderr()).contains("UNAUTHENTICATED");
        }
    }

    @Test
    void shouldPublishFromPythonAndSubscribeFromPythonAndJava() throws Exception {
        Path store = Files.createDirectories(work.resolve("store"));
        try (ProtobusServerProcess server = ProtobusServerProcess.start(store)) {
            Launcher.Result published = python(server.port(), "publish", "5", "py/events");
            assertThat(published.exitStatus()).as(published.stderr()).isZero();
            assertThat(published.stdoutText().strip()).isEqualTo("0\tOK");

            Launcher.Result subscribed = python(server.port(), "subscribe", "5", "py/");
            assertThat(subscribed.exitStatus()).as(subscribed.stderr()).isZero();
            List<String[]> lines = subscribed.stdoutText().lines().map(l -> l.split("\t")).toList();
            assertThat(lines).hasSize(5);
            for (int i = 0; i < 5; i++) {
                String[] f = lines.get(i);
                assertThat(f[0]).isEqualTo("py/events");
                assertThat(f[1]).isEqualTo(Integer.toString(i));
                assertThat(f[2]).isEqualTo("from python " + i);
                int payloadSize = Any.pack(StringValue.of("from python " + i)).getSerializedSize();
                assertThat(Integer.parseInt(f[3])).isEqualTo(payloadSize);
                assertThat(Long.parseLong(f[4])).isEqualTo(i + 1);
                assertThat(Long.parseLong(f[5])).isPositive();
            }

            // What Python published, a Java client reads, and the other way round.
            Subscriber java = subscribe(server.channel(), request(5, "py/"));
            await().until(() -> java.events.size() == 5);
            EncapsulatedEvent first = java.events.get(0);
            assertThat(first.getTagsMap()).containsEntry("lang", "python").containsEntry("seq", "0");
            assertThat(first.getClientEventTime().getNanos()).isEqualTo(123_456_789);
            assertThat(first.getPayload().unpack(StringValue.class).getValue()).isEqualTo("from python 0");
            java.cancel();

            publish(server.channel(), IntStream.range(0, 3).mapToObj(i -> EncapsulatedEvent.newBuilder()
                    .setTopic("java/events").putTags("seq", Integer.toString(i))
                    .setPayload(Any.pack(StringValue.of("from java " + i))).build()).toList());
            Launcher.Result fromJava = python(server.port(), "subscribe", "3", "java/");
            assertThat(fromJava.exitStatus()).as(fromJava.stderr()).isZero();
            assertThat(fromJava.stdoutText().lines().map(l -> l.split("\t")[2]).toList())
                    .containsExactly("from java 0", "from java 1", "from java 2");
        }
    }
}
