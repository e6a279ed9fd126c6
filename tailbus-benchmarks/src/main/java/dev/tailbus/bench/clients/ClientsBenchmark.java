package dev.tailbus.bench.clients;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.Timestamp;
import dev.tailbus.bench.protobus.ServerTransport;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The client library's cost over raw grpc-java stubs, on a protobus server in this JVM on
 * 127.0.0.1: publishing N events of 100 bytes ({@link BusPublisher#publishAsync} against one
 * {@code PublishBatch} stream of prebuilt 1000-event batches), blocking publishes (one round trip
 * each), and reading N stored events ({@link BusSubscriber} against a raw {@code Subscribe} call
 * that parses each event). The ratio column is library / baseline.
 *
 * <p>Usage: {@code bin/tailbus-bench clients.ClientsBenchmark [EVENTS]} (default 200,000).
 */
public final class ClientsBenchmark {
    private static final int PAYLOAD = 100;

    private ClientsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path root = Files.createTempDirectory("tailbus-clients-bench");
        ProtobusServer server = ProtobusServer.start(ServerTransport.builder(0),
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", 0), LogConfig.builder(root).build()));
        String address = "127.0.0.1:" + server.port();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            byte[] payload = new byte[PAYLOAD];
            // warm-up of both paths
            rawPublish(channel, "warm/raw", 20_000, payload);
            libraryPublish(address, "warm/lib", 20_000, payload);

            double raw = rawPublish(channel, "bench/raw", n, payload);
            double lib = libraryPublish(address, "bench/lib", n, payload);
            int blockingN = Math.max(100, n / 100);
            double blocking = libraryBlocking(address, "bench/blocking", blockingN, payload);
            double rawRead = rawSubscribe(channel, "bench/raw", n);
            double rawBatchRead = rawSubscribeBatch(channel, "bench/raw", n);
            double libRead = librarySubscribe(address, "bench/raw", n);

            System.out.printf("%-44s %14s %14s %8s%n", "measure (" + n + " events, " + PAYLOAD + " B)", "baseline ev/s",
                    "library ev/s", "ratio");
            System.out.printf("%-44s %14.0f %14.0f %8.2f%n", "publish (raw PublishBatch vs publishAsync)", raw, lib, lib / raw);
            System.out.printf("%-44s %14s %14.0f %8s%n", "blocking publish (" + blockingN + ", one at a time)", "-",
                    blocking, "-");
            System.out.printf("%-44s %14.0f %14.0f %8.2f%n", "read stored (raw Subscribe vs BusSubscriber)", rawRead,
                    libRead, libRead / rawRead);
            System.out.printf("%-44s %14.0f %14.0f %8.2f%n", "read stored (raw SubscribeBatch vs BusSubscriber)",
                    rawBatchRead, libRead, libRead / rawBatchRead);
            System.out.printf("%ngoal: publishAsync and BusSubscriber at least 1,000,000 events/s each: %s and %s%n",
                    lib >= 1_000_000 ? "met" : "not met", libRead >= 1_000_000 ? "met" : "not met");
        } finally {
            channel.shutdownNow();
            server.close();
            try (Stream<Path> files = Files.walk(root)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static EncapsulatedEvent event(String topic, byte[] payload) {
        Instant now = Instant.now();
        Timestamp t = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
        return EncapsulatedEvent.newBuilder().setTopic(topic).setClientEventTime(t).setClientTransmitTime(t)
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(payload)))).build();
    }

    private static double rawPublish(ManagedChannel channel, String topic, int n, byte[] payload) throws Exception {
        long start = System.nanoTime();
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> stream = ProtobusServiceGrpc.newStub(channel).publishBatch(StatusAnswer.into(answer));
        for (int i = 0; i < n; i += 1000) {
            EventBatch.Builder batch = EventBatch.newBuilder();
            for (int j = i; j < Math.min(n, i + 1000); j++) {
                batch.addEvents(event(topic, payload));
            }
            stream.onNext(batch.build());
        }
        stream.onCompleted();
        answer.get(5, TimeUnit.MINUTES);
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double libraryPublish(String address, String topic, int n, byte[] payload) {
        long start = System.nanoTime();
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            for (int i = 0; i < n; i++) {
                publisher.publishAsync(BusEvent.of(topic, payload));
            }
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double libraryBlocking(String address, String topic, int n, byte[] payload) {
        try (BusPublisher publisher = BusPublisher.builder(address).build()) {
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                publisher.publish(BusEvent.of(topic, payload));
            }
            return n / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double rawSubscribe(ManagedChannel channel, String topic, int n) {
        long start = System.nanoTime();
        SubscriptionRequest request = SubscriptionRequest.newBuilder().addTopics(topic)
                .setOptions(SubscriptionOptions.newBuilder().setSinceTime(Timestamp.getDefaultInstance())).build();
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        try {
            Iterator<EncapsulatedEvent> events = context.call(() -> ProtobusServiceGrpc.newBlockingStub(channel)
                    .subscribe(request));
            long bytes = 0;
            for (int i = 0; i < n; i++) {
                bytes += events.next().getPayloadSize();
            }
            if (bytes == 0) {
                throw new IllegalStateException("no payload");
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            context.cancel(null);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    /** Stored events through the generated stub's {@code SubscribeBatch}, every event parsed. */
    private static double rawSubscribeBatch(ManagedChannel channel, String topic, int n) {
        long start = System.nanoTime();
        SubscriptionRequest request = SubscriptionRequest.newBuilder().addTopics(topic)
                .setOptions(SubscriptionOptions.newBuilder().setSinceTime(Timestamp.getDefaultInstance())).build();
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        try {
            Iterator<EventBatch> batches = context.call(() -> ProtobusServiceGrpc.newBlockingStub(channel)
                    .subscribeBatch(request));
            long bytes = 0;
            int seen = 0;
            while (seen < n) {
                for (EncapsulatedEvent e : batches.next().getEventsList()) {
                    bytes += e.getPayloadSize();
                    seen++;
                }
            }
            if (bytes == 0) {
                throw new IllegalStateException("no payload");
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            context.cancel(null);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double librarySubscribe(String address, String topic, int n) throws InterruptedException {
        long start = System.nanoTime();
        try (BusSubscriber s = BusSubscriber.builder(address).topics(topic).since(Instant.EPOCH).build()) {
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
}
