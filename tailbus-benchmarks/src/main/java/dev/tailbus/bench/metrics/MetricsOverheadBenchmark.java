package dev.tailbus.bench.metrics;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.CodedInputStream;
import dev.tailbus.bench.Table;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.metrics.MetricsEndpoint;
import dev.tailbus.metrics.ProtobusMetrics;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * What metrics cost protobus-server: N events of 100 bytes published in batches of 1000 and
 * delivered to one SubscribeBatch subscriber, first byte to last event received, on a server
 * without metrics (the baseline) and on one with {@code --metrics-address} being scraped every
 * 100 ms, in turns, in this JVM over real gRPC on 127.0.0.1. Prints the median of each and the
 * ratio.
 *
 * <p>Usage: {@code bin/tailbus-bench metrics.MetricsOverheadBenchmark [EVENTS [ROUNDS]]} (default
 * 500,000 events, 3 rounds).
 */
public final class MetricsOverheadBenchmark {
    private static final int BATCH = 1000;

    private MetricsOverheadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 500_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "tailbus-metrics-bench");
        List<Double> off = new ArrayList<>();
        List<Double> on = new ArrayList<>();
        try {
            run(dir.resolve("warm"), Math.min(events, 200_000), false); // warm up both paths
            run(dir.resolve("warm-m"), Math.min(events, 200_000), true);
            for (int r = 0; r < rounds; r++) {
                off.add(run(dir.resolve("off" + r), events, false));
                on.add(run(dir.resolve("on" + r), events, true));
            }
        } finally {
            delete(dir);
        }
        double base = median(off);
        double metered = median(on);
        System.out.println(new Table("server", "events/s (median of " + rounds + ")", "ratio to no metrics")
                .row("no metrics (baseline)", Table.rate(base), "1.00")
                .row("--metrics-address, scraped every 100 ms", Table.rate(metered), String.format("%.2f", metered / base))
                .render());
        System.out.println("(" + events + " events of 100 bytes, published in batches of " + BATCH
                + ", delivered to 1 SubscribeBatch subscriber; every run: " + off + " / " + on + ")");
    }

    /** One server, one publisher, one subscriber; returns events per second, first send to last receipt. */
    private static double run(Path store, int events, boolean metrics) throws Exception {
        Files.createDirectories(store);
        ProtobusMetrics m = ProtobusMetrics.at(metrics ? ListenAddress.parse("127.0.0.1:0") : null);
        ListenAddress address = ListenAddress.parse("127.0.0.1:0");
        try (MetricsEndpoint scrapes = m.serve()) {
            ProtobusServerConfig config = ProtobusServerConfig.of(address,
                    LogConfig.builder(store).observer(m.logObserver()).build());
            try (ProtobusServer server = m.start(NettyServerBuilder.forAddress(address.socketAddress()), config)) {
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
                try {
                    CountDownLatch all = new CountDownLatch(1);
                    AtomicLong received = new AtomicLong();
                    ClientCall<byte[], byte[]> sub = subscribe(channel, n -> {
                        if (received.addAndGet(n) >= events) {
                            all.countDown();
                        }
                    });
                    while (server.openSubscriptions() == 0) {
                        LockSupport.parkNanos(1_000_000);
                    }
                    Thread scraper = scrapes == null ? null : Thread.ofPlatform().daemon().start(() -> scrape(scrapes));
                    long start = System.nanoTime();
                    publish(channel, events);
                    if (!all.await(120, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("not all events arrived within 120 s: " + received);
                    }
                    long nanos = System.nanoTime() - start;
                    if (scraper != null) {
                        scraper.interrupt();
                        scraper.join();
                    }
                    sub.cancel("done", null);
                    return events * 1e9 / nanos;
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    private static void scrape(MetricsEndpoint endpoint) {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(URI.create(endpoint.describe())).build();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                http.send(get, HttpResponse.BodyHandlers.discarding());
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static void publish(ManagedChannel channel, int events) {
        EncapsulatedEvent event = EncapsulatedEvent.newBuilder().setTopic("bench")
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(new byte[100])))).build();
        EventBatch.Builder b = EventBatch.newBuilder();
        for (int i = 0; i < BATCH; i++) {
            b.addEvents(event);
        }
        EventBatch batch = b.build();
        CompletableFuture<Status> answer = new CompletableFuture<>();
        var stream = (ClientCallStreamObserver<EventBatch>) ProtobusServiceGrpc.newStub(channel)
                .publishBatch(StatusAnswer.into(answer));
        for (int sent = 0; sent < events; sent += BATCH) {
            while (!stream.isReady()) {
                LockSupport.parkNanos(20_000);
            }
            stream.onNext(batch);
        }
        stream.onCompleted();
        answer.join();
    }

    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** A SubscribeBatch call counting the events of each message at the wire level. */
    private static ClientCall<byte[], byte[]> subscribe(ManagedChannel channel, java.util.function.IntConsumer onEvents) {
        MethodDescriptor<byte[], byte[]> raw = ProtobusServiceGrpc.getSubscribeBatchMethod().toBuilder(RAW, RAW).build();
        ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                int n = 0;
                try {
                    CodedInputStream in = CodedInputStream.newInstance(message);
                    for (int tag; (tag = in.readTag()) != 0; n++) {
                        in.skipField(tag);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                onEvents.accept(n);
                call.request(1);
            }
        }, new Metadata());
        call.sendMessage(SubscriptionRequest.newBuilder().addTopics("bench").build().toByteArray());
        call.halfClose();
        call.request(4);
        return call;
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted[sorted.length / 2];
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
