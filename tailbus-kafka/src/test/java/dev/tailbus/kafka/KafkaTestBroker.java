package dev.tailbus.kafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka (KRaft, one combined broker and controller) for tests and
 * benchmarks: a child JVM on the test classpath, storage formatted with Kafka's storage tool,
 * listening on 127.0.0.1 on ports chosen free, data in the given folder. {@link #stop()} ends it
 * by its process id (SIGTERM, then SIGKILL after 15 s); {@link #start()} starts it again on the
 * same ports and data. Start is bounded: 90 s or it fails.
 *
 * <p>Not thread-safe.
 */
public final class KafkaTestBroker implements AutoCloseable {
    private static final Duration START_LIMIT = Duration.ofSeconds(90);

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private final Path properties;
    private Process process;

    private KafkaTestBroker(Path dir) throws IOException {
        this.dir = dir;
        this.port = freePort();
        this.controllerPort = freePort();
        this.properties = dir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "num.network.threads=2",
                "num.io.threads=2",
                "background.threads=2",
                "log.segment.bytes=16777216",
                "") + "\n");
    }

    /** Formats storage in {@code dir} and starts a broker there. */
    public static KafkaTestBroker start(Path dir) throws IOException, InterruptedException {
        KafkaTestBroker broker = new KafkaTestBroker(dir);
        Process format = broker.java("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                "-c", broker.properties.toString()).redirectOutput(dir.resolve("format.log").toFile())
                .redirectErrorStream(true).start();
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IllegalStateException("kafka storage format failed: " + Files.readString(dir.resolve("format.log")));
        }
        broker.start();
        return broker;
    }

    private ProcessBuilder java(String main, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx400m", "-Xss512k", "-XX:+UseSerialGC",
                "-Dlog4j2.level=WARN", "-Dkafka.logs.dir=" + dir.resolve("logs"),
                "-cp", System.getProperty("java.class.path"), main));
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /** Starts the broker (again), waiting until it answers. */
    public void start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) {
            return;
        }
        process = java("kafka.Kafka", properties.toString())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()))
                .redirectErrorStream(true).start();
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap(), "request.timeout.ms", 3000,
                "default.api.timeout.ms", 5000))) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("kafka broker exited " + process.exitValue() + ": "
                            + tail(dir.resolve("broker.log")));
                }
                try {
                    admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        stop();
                        throw new IllegalStateException("kafka broker did not answer within " + START_LIMIT, e);
                    }
                    process.waitFor(200, TimeUnit.MILLISECONDS); // a pause that also notices an exit
                }
            }
        }
    }

    private static String tail(Path log) throws IOException {
        String s = Files.exists(log) ? Files.readString(log) : "";
        return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
    }

    /** Stops the broker by its pid: SIGTERM, SIGKILL after 15 s. */
    public void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** The broker's process id, or -1 when none runs. */
    public long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
