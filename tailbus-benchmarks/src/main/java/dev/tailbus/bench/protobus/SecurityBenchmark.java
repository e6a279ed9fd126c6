package dev.tailbus.bench.protobus;

import dev.tailbus.bench.Table;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.client.BusCredentials;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import dev.tailbus.protobus.server.ServerTls;
import dev.tailbus.protobus.server.TokenGate;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What TLS and access tokens cost: the client library publishing N events of 100 bytes
 * ({@code publishAsync}) and reading them back ({@code BusSubscriber}) against a protobus server in
 * this JVM on 127.0.0.1, in plain text (the baseline), over TLS, and over TLS with an access token
 * checked on every call and every event's topic matched against the token's rights. Certificates
 * are made with the machine's {@code openssl} in a temporary folder. The three modes take turns,
 * twice, and the table shows each one's better round.
 *
 * <p>Usage: {@code bin/tailbus-bench protobus.SecurityBenchmark [EVENTS]} (default 200,000).
 */
public final class SecurityBenchmark {
    private static final int PAYLOAD = 100;
    private static final int ROUNDS = 2;
    private static final String TOKEN = "benchmark-token-0123456789";

    private SecurityBenchmark() {
    }

    private enum Mode { PLAIN, TLS, TLS_AND_TOKEN }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path root = Files.createTempDirectory("tailbus-security-bench");
        try {
            Path certs = Files.createDirectory(root.resolve("certs"));
            makeCertificates(certs);
            Path tokens = Files.writeString(root.resolve("tokens"), TOKEN + " publish=bench/ subscribe=bench/\n");
            Table table = new Table("measure (" + n + " events, " + PAYLOAD + " B)", "plain ev/s", "TLS ev/s",
                    "ratio", "TLS + token ev/s", "ratio");
            // The modes take turns, twice, and each keeps its best round: a loaded machine's noise
            // then hurts all three alike rather than whichever ran at the worst moment.
            double[][] rates = new double[Mode.values().length][2];
            for (int round = 0; round < ROUNDS; round++) {
                for (Mode mode : Mode.values()) {
                    double[] r = run(mode, root.resolve(mode.name() + "-" + round), certs, tokens, n);
                    for (int m = 0; m < r.length; m++) {
                        rates[mode.ordinal()][m] = Math.max(rates[mode.ordinal()][m], r[m]);
                    }
                }
            }
            String[] names = {"publish (publishAsync)", "read stored (BusSubscriber)"};
            for (int m = 0; m < names.length; m++) {
                double plain = rates[0][m];
                table.row(names[m], String.format("%,.0f", plain), String.format("%,.0f", rates[1][m]),
                        String.format("%.2f", rates[1][m] / plain), String.format("%,.0f", rates[2][m]),
                        String.format("%.2f", rates[2][m] / plain));
            }
            System.out.print(table.render());
        } finally {
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Publish and read rates for one mode, after a warm-up of the same paths. */
    private static double[] run(Mode mode, Path store, Path certs, Path tokens, int n) throws Exception {
        Files.createDirectory(store);
        NettyServerBuilder builder = mode == Mode.PLAIN
                ? NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                : NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        ServerTls.load(certs.resolve("server.pem"), certs.resolve("server.key"), null).credentials());
        if (mode == Mode.TLS_AND_TOKEN) {
            builder.intercept(TokenGate.load(tokens));
        }
        BusCredentials credentials = mode == Mode.PLAIN ? BusCredentials.NONE
                : BusCredentials.NONE.withTlsCa(certs.resolve("ca.pem"));
        if (mode == Mode.TLS_AND_TOKEN) {
            credentials = credentials.withToken(TOKEN);
        }
        ProtobusServer server = ProtobusServer.start(builder,
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", 0), LogConfig.builder(store).build()));
        try {
            String address = "127.0.0.1:" + server.port();
            byte[] payload = new byte[PAYLOAD];
            publish(address, credentials, "bench/warm", 20_000, payload);
            read(address, credentials, "bench/warm", 20_000);
            double published = publish(address, credentials, "bench/run", n, payload);
            double read = read(address, credentials, "bench/run", n);
            return new double[] {published, read};
        } finally {
            server.close();
        }
    }

    private static double publish(String address, BusCredentials credentials, String topic, int n, byte[] payload) {
        long start = System.nanoTime();
        try (BusPublisher publisher = BusPublisher.builder(address).credentials(credentials).build()) {
            for (int i = 0; i < n; i++) {
                publisher.publishAsync(BusEvent.of(topic, payload));
            }
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double read(String address, BusCredentials credentials, String topic, int n) throws Exception {
        long start = System.nanoTime();
        try (BusSubscriber s = BusSubscriber.builder(address).credentials(credentials).topics(topic)
                .since(Instant.EPOCH).build()) {
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                bytes += s.take().payload().getSerializedSize();
            }
            if (bytes == 0) {
                throw new IllegalStateException("no payload");
            }
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /** A CA and a server certificate for 127.0.0.1 that it signed, with openssl. */
    private static void makeCertificates(Path dir) throws IOException, InterruptedException {
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bench-ca",
                "-keyout", "ca.key", "-out", "ca.pem");
        openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                "-keyout", "server.key", "-out", "server.csr");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "1", "-extfile", "san.ext", "-out", "server.pem");
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IOException("this benchmark needs openssl on the PATH to make its certificates", e);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("openssl " + String.join(" ", args) + " failed");
        }
    }
}
