package dev.tailbus.bench.http;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Timestamp;
import dev.tailbus.bench.Table;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.http.HttpFace;
import dev.tailbus.http.HttpFaceConfig;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The HTTP face against the gRPC path it rides on, on one protobus server in this JVM (127.0.0.1,
 * real sockets on both sides, 100-byte payloads):
 * <ul>
 *   <li>publish: {@code POST} of JSON arrays of 1000 events, one request after another and from 4
 *       clients at once, against one {@code PublishBatch} call per 1000 events (answered, as a POST
 *       is, before the next);</li>
 *   <li>delivery of live events to 1 and to 10 clients: Server-Sent Events against
 *       {@link BusSubscriber}s, while a gRPC publisher streams the events.</li>
 * </ul>
 * The ratio column is HTTP / gRPC of the same run.
 *
 * <p>Usage: {@code bin/tailbus-bench http.HttpBenchmark [EVENTS]} (default 200,000).
 */
public final class HttpBenchmark {
    private static final int PAYLOAD = 100;
    private static final int BATCH = 1000;
    private static final Duration LIMIT = Duration.ofMinutes(5);

    private HttpBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        // the server's notes on subscriptions that the benchmark cancels are not results
        java.util.logging.Logger.getLogger("io.grpc").setLevel(java.util.logging.Level.SEVERE);
        Path root = Files.createTempDirectory("tailbus-http-bench");
        ProtobusServer server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", 0), LogConfig.builder(root).build()));
        HttpFace face = HttpFace.start(new HttpFaceConfig(new ListenAddress("127.0.0.1", 0), "127.0.0.1", server.port(),
                ProtobusServerConfig.DEFAULT_MAX_EVENT_BYTES, HttpFaceConfig.DEFAULT_HEARTBEAT,
                HttpFaceConfig.DEFAULT_REQUEST_TIMEOUT));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String base = "http://127.0.0.1:" + face.port();
        try {
            String payload = "x".repeat(PAYLOAD);
            String body = jsonBatch(payload);
            // warm-up of every path
            grpcPublish(channel, "warm/grpc", 20_000, payload);
            httpPublish(http, base, "warm/http", 20_000, body, 1);
            deliver(channel, http, base, "warm/d", 20_000, 2, true, payload);
            deliver(channel, http, base, "warm/d", 20_000, 2, false, payload);

            double grpc = grpcPublish(channel, "bench/grpc", n, payload);
            double post1 = httpPublish(http, base, "bench/http1", n, body, 1);
            double post4 = httpPublish(http, base, "bench/http4", n, body, 4);
            double grpc1 = deliver(channel, http, base, "bench/d1g", n, 1, false, payload);
            double sse1 = deliver(channel, http, base, "bench/d1s", n, 1, true, payload);
            int tenN = Math.max(BATCH, n / 4);
            double grpc10 = deliver(channel, http, base, "bench/d10g", tenN, 10, false, payload);
            double sse10 = deliver(channel, http, base, "bench/d10s", tenN, 10, true, payload);

            Table table = new Table("measure (" + PAYLOAD + " B payloads)", "gRPC ev/s", "HTTP ev/s", "HTTP / gRPC");
            table.row("publish " + n + ", 1000 per call; POST JSON arrays, 1 client", Table.rate(grpc), Table.rate(post1),
                    String.format("%.2f", post1 / grpc));
            table.row("publish " + n + ", POST from 4 clients at once (vs the same gRPC)", Table.rate(grpc),
                    Table.rate(post4), String.format("%.2f", post4 / grpc));
            table.row("deliver " + n + " live to 1 client: BusSubscriber vs SSE", Table.rate(grpc1), Table.rate(sse1),
                    String.format("%.2f", sse1 / grpc1));
            table.row("deliver " + tenN + " live to each of 10 clients (per client)", Table.rate(grpc10),
                    Table.rate(sse10), String.format("%.2f", sse10 / grpc10));
            System.out.print(table.render());
        } finally {
            channel.shutdownNow();
            face.close();
            server.close();
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String jsonBatch(String payload) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < BATCH; i++) {
            b.append(i == 0 ? "" : ",").append("{\"payload_text\":\"").append(payload).append("\"}");
        }
        return b.append(']').toString();
    }

    private static EncapsulatedEvent event(String topic, String payload) {
        Instant now = Instant.now();
        Timestamp t = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
        return EncapsulatedEvent.newBuilder().setTopic(topic).setClientEventTime(t).setClientTransmitTime(t)
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFromUtf8(payload)))).build();
    }

    /** One answered {@code PublishBatch} call per 1000 events, one after another. */
    private static double grpcPublish(ManagedChannel channel, String topic, int n, String payload) throws Exception {
        long start = System.nanoTime();
        for (int i = 0; i < n; i += BATCH) {
            CompletableFuture<Status> answer = new CompletableFuture<>();
            StreamObserver<EventBatch> call = ProtobusServiceGrpc.newStub(channel).publishBatch(StatusAnswer.into(answer));
            EventBatch.Builder batch = EventBatch.newBuilder();
            for (int j = i; j < Math.min(n, i + BATCH); j++) {
                batch.addEvents(event(topic, payload));
            }
            call.onNext(batch.build());
            call.onCompleted();
            answer.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /** POSTs of 1000-event JSON arrays from {@code clients} clients at once, n events in all. */
    private static double httpPublish(HttpClient http, String base, String topic, int n, String body, int clients)
            throws Exception {
        int requests = n / BATCH;
        URI uri = URI.create(base + "/api/topics/" + topic + "/events");
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int mine = requests / clients + (c < requests % clients ? 1 : 0);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < mine; i++) {
                        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("POST answered " + r.statusCode() + ": " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
            }
        }
        return requests * (double) BATCH / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Opens {@code clients} live subscriptions to {@code topic} (SSE or gRPC), streams n events to
     * it over gRPC and returns events/s per client, from the first event sent to the last received.
     */
    private static double deliver(ManagedChannel channel, HttpClient http, String base, String topic, int n, int clients,
                                  boolean sse, String payload) throws Exception {
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch done = new CountDownLatch(clients);
        List<AutoCloseable> open = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            if (sse) {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/events?pattern="
                        + topic + "$")).build(), HttpResponse.BodyHandlers.ofInputStream());
                open.add(r.body());
                readers.add(Thread.ofPlatform().daemon().start(() -> {
                    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8),
                            1 << 16)) {
                        int got = 0;
                        String line;
                        while ((line = in.readLine()) != null) {
                            if (line.startsWith(": subscribed")) {
                                ready.countDown();
                            } else if (line.startsWith("id:") && ++got == n) {
                                done.countDown();
                                return;
                            }
                        }
                    } catch (java.io.IOException e) {
                        // closed at the end
                    }
                }));
            } else {
                BusSubscriber s = BusSubscriber.builder(channel).topics(topic + "$").build();
                open.add(s);
                ready.countDown();
                readers.add(Thread.ofPlatform().daemon().start(() -> {
                    try {
                        for (int got = 0; got < n; got++) {
                            if (s.poll(LIMIT) == null) {
                                return;
                            }
                        }
                        done.countDown();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
            }
        }
        if (!ready.await(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("subscriptions did not open");
        }
        long start = System.nanoTime();
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> call = ProtobusServiceGrpc.newStub(channel).publishBatch(StatusAnswer.into(answer));
        for (int i = 0; i < n; i += BATCH) {
            EventBatch.Builder batch = EventBatch.newBuilder();
            for (int j = i; j < Math.min(n, i + BATCH); j++) {
                batch.addEvents(event(topic, payload));
            }
            call.onNext(batch.build());
        }
        call.onCompleted();
        answer.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        if (!done.await(LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("not every client received " + n + " events");
        }
        double rate = n / ((System.nanoTime() - start) / 1e9);
        for (AutoCloseable c : open) {
            c.close();
        }
        for (Thread t : readers) {
            t.join(10_000);
        }
        return rate;
    }
}
