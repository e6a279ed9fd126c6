package dev.tailbus.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two protobus servers with metrics in one JVM: each its own registry and endpoint; batch calls counted. */
class InProcessMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private static double sample(String text, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static String scrape(MetricsEndpoint endpoint) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(endpoint.describe())).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void shouldCountBatchesPublishedAndDeliveredPerServerInItsOwnRegistry() throws Exception {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        ProtobusMetrics metricsA = ProtobusMetrics.at(ListenAddress.parse("127.0.0.1:0"));
        ProtobusMetrics metricsB = ProtobusMetrics.at(ListenAddress.parse("127.0.0.1:0"));
        ListenAddress any = ListenAddress.parse("127.0.0.1:0");
        try (MetricsEndpoint endpointA = metricsA.serve(); MetricsEndpoint endpointB = metricsB.serve()) {
            ProtobusServer serverA = metricsA.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                    ProtobusServerConfig.of(any, LogConfig.builder(a).observer(metricsA.logObserver()).build()));
            ProtobusServer serverB = metricsB.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                    ProtobusServerConfig.of(any, LogConfig.builder(b).observer(metricsB.logObserver()).build()));
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", serverA.port()).usePlaintext().build();
            try {
                List<EventBatch> received = new CopyOnWriteArrayList<>();
                ProtobusServiceGrpc.newStub(channel).subscribeBatch(SubscriptionRequest.newBuilder().addTopics("t.*")
                        .build(), new Collector<>(received, new CompletableFuture<>()));
                await().atMost(Duration.ofSeconds(30)).until(() -> serverA.openSubscriptions() == 1);

                CompletableFuture<Void> answered = new CompletableFuture<>();
                StreamObserver<EventBatch> publish = ProtobusServiceGrpc.newStub(channel)
                        .publishBatch(new Collector<Status>(new CopyOnWriteArrayList<>(), answered));
                EventBatch.Builder batch = EventBatch.newBuilder();
                for (int i = 0; i < 50; i++) {
                    batch.addEvents(EncapsulatedEvent.newBuilder().setTopic("t" + (i % 5))
                            .setPayload(com.google.protobuf.Any.newBuilder().setValue(ByteString.copyFromUtf8("e" + i))));
                }
                publish.onNext(batch.build());
                publish.onCompleted();
                answered.get(30, TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(30))
                        .until(() -> received.stream().mapToInt(EventBatch::getEventsCount).sum() == 50);

                String textA = scrape(endpointA);
                assertThat(sample(textA, "protobus_events_published_total{prefix=\"{topic}\"}")).isEqualTo(50);
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        sample(scrape(endpointA), "protobus_events_delivered_total{prefix=\"{topic}\"}") == 50);
                assertThat(sample(textA, "protobus_log_append_seconds_count")).isEqualTo(1);
                String textB = scrape(endpointB);
                assertThat(sample(textB, "protobus_events_published_total{prefix=\"{topic}\"}")).isZero();
                assertThat(sample(textB, "protobus_events_delivered_total{prefix=\"{topic}\"}")).isZero();
                assertThat(textA).contains("jvm_threads_current");
                assertThat(textB).contains("jvm_threads_current");
            } finally {
                channel.shutdownNow();
                serverA.close();
                serverB.close();
            }
        }
    }

    /** Collects a call's messages and completes when it ends. */
    private record Collector<T>(List<T> into, CompletableFuture<Void> done) implements StreamObserver<T> {
        @Override
        public void onNext(T value) {
            into.add(value);
        }

        @Override
        public void onError(Throwable t) {
            done.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            done.complete(null);
        }
    }
}
