package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusClients.event;
import static dev.tailbus.systemtest.protobus.ProtobusClients.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.systemtest.MetricsScrape;
import dev.tailbus.systemtest.ProtobusServerProcess;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** protobus-server's /metrics, scraped over HTTP from a real server process while real clients use it. */
class ProtobusMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PUBLISH_BATCH = "protobus.ProtobusService/PublishBatch";
    private static final String SUBSCRIBE = "protobus.ProtobusService/Subscribe";

    @TempDir
    Path root;

    static String metricsUrl(ProtobusServerProcess server) {
        await().atMost(WAIT).until(() -> MetricsScrape.ANNOUNCED.matcher(server.stderr()).find());
        Matcher m = MetricsScrape.ANNOUNCED.matcher(server.stderr());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static List<EncapsulatedEvent> events(String topic, int n, int size) {
        return IntStream.range(0, n).mapToObj(i -> event(topic, i, size)).toList();
    }

    @Test
    void shouldCountPublishedDeliveredStoredAndRefusedByStorePatternAndCallsByMethodAndCode() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root, "--metrics-address", "127.0.0.1:0",
                "--store-pattern", "sensors:sensors/.*", "--store-pattern", "{topic}:.*", "--flush", "batch",
                "--max-threads", "2")) {
            String url = metricsUrl(server);
            MetricsScrape before = MetricsScrape.of(url);
            assertThat(before.value("protobus_events_published_total", "prefix", "sensors")).isZero();
            assertThat(before.names()).contains("jvm_memory_used_bytes", "jvm_threads_current");

            ManagedChannel channel = server.channel();
            ProtobusClients.Subscriber sensors = ProtobusClients.subscribe(channel, request(0, "sensors/.*"));
            await().atMost(WAIT).until(() -> MetricsScrape.of(url).value("protobus_subscriptions_open") == 1);
            ProtobusClients.publishBatch(channel, events("sensors/temp", 10, 100));
            ProtobusClients.publishBatch(channel, events("other", 3, 50));
            await().atMost(WAIT).until(() -> sensors.events.size() == 10);

            // A second subscription takes the last slot of --max-threads 2: the next call is refused.
            ProtobusClients.Subscriber idle = ProtobusClients.subscribe(channel, request(0, "nothing"));
            await().atMost(WAIT).until(() -> MetricsScrape.of(url).value("protobus_subscriptions_open") == 2);
            assertThatThrownBy(() -> ProtobusClients.publishBatch(channel, events("other", 1, 10)))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
            idle.cancel();

            await().atMost(WAIT).untilAsserted(() -> {
                MetricsScrape m = MetricsScrape.of(url);
                assertThat(m.value("protobus_events_published_total", "prefix", "sensors")).isEqualTo(10);
                assertThat(m.value("protobus_events_published_total", "prefix", "{topic}")).isEqualTo(3);
                assertThat(m.value("protobus_events_published_total", "prefix", "none")).isZero();
                assertThat(m.value("protobus_bytes_published_total", "prefix", "sensors")).isGreaterThan(10 * 100);
                assertThat(m.value("protobus_events_delivered_total", "prefix", "sensors")).isEqualTo(10);
                assertThat(m.value("protobus_events_delivered_total", "prefix", "{topic}")).isZero();
                assertThat(m.value("protobus_bytes_delivered_total", "prefix", "sensors"))
                        .isEqualTo(m.value("protobus_bytes_published_total", "prefix", "sensors"));
                assertThat(m.value("protobus_log_last_position")).isEqualTo(13);
                assertThat(m.value("protobus_grpc_calls_total", "method", PUBLISH_BATCH, "code", "OK")).isEqualTo(2);
                assertThat(m.value("protobus_grpc_calls_total", "method", PUBLISH_BATCH, "code", "RESOURCE_EXHAUSTED"))
                        .isEqualTo(1);
                assertThat(m.value("protobus_grpc_calls_total", "method", SUBSCRIBE, "code", "CANCELLED")).isEqualTo(1);
                assertThat(m.value("protobus_resource_exhausted_total", "method", PUBLISH_BATCH)).isEqualTo(1);
                assertThat(m.value("protobus_calls_refused_total")).isEqualTo(1);
                assertThat(m.value("protobus_subscriptions_open")).isEqualTo(1);
                assertThat(m.value("protobus_publishers_open")).isZero();
                assertThat(m.value("protobus_subscription_lag_max")).isZero();
                // sensors/temp is stored twice: in sensors.pb and, by {topic}, in sensors/temp.pb beside other.pb
                assertThat(m.value("protobus_store_segments", "prefix", "sensors")).isEqualTo(1);
                assertThat(m.value("protobus_store_segments", "prefix", "{topic}")).isEqualTo(2);
                // each stored record is its 4-byte length, then the event as counted
                assertThat(m.value("protobus_store_bytes", "prefix", "sensors"))
                        .isEqualTo(m.value("protobus_bytes_published_total", "prefix", "sensors") + 10 * 4);
                assertThat(m.value("protobus_log_append_seconds_count")).isEqualTo(2);
                assertThat(m.value("protobus_log_fsync_seconds_count")).isEqualTo(2);
                assertThat(m.value("protobus_log_fsync_seconds_bucket", "le", "+Inf")).isEqualTo(2);
            });
            sensors.cancel();
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void shouldShowHowFarASubscriberThatDoesNotReadIsBehind() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root, "--metrics-address", "127.0.0.1:0")) {
            String url = metricsUrl(server);
            ManagedChannel channel = server.channel();
            ProtobusClients.Subscriber stalled = ProtobusClients.subscribeSlowly(channel, request(0, "t"), 1);
            await().atMost(WAIT).until(() -> MetricsScrape.of(url).value("protobus_subscriptions_open") == 1);
            // 4 MiB of events: more than the transport holds for a subscriber that reads nothing
            List<EncapsulatedEvent> batch = new ArrayList<>(events("t", 4096, 1024));
            ProtobusClients.publishBatch(channel, batch);

            await().atMost(WAIT).untilAsserted(() -> {
                MetricsScrape m = MetricsScrape.of(url);
                assertThat(m.value("protobus_log_last_position")).isEqualTo(4096);
                assertThat(m.value("protobus_subscription_lag_max")).isPositive()
                        .isEqualTo(m.value("protobus_subscription_lag_sum"));
            });
            stalled.request(Integer.MAX_VALUE);
            await().atMost(WAIT).until(() -> stalled.events.size() == 4096);
            await().atMost(WAIT).until(() -> MetricsScrape.of(url).value("protobus_subscription_lag_max") == 0);
            stalled.cancel();
        }
    }

    @Test
    void shouldServeTheSameMetricsOnTheHttpPortToo() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root, "--metrics-address", "127.0.0.1:0",
                "--http-address", "127.0.0.1:0")) {
            metricsUrl(server);
            Pattern http = Pattern.compile("HTTP API and console on 127\\.0\\.0\\.1:(\\d+)");
            await().atMost(WAIT).until(() -> http.matcher(server.stderr()).find());
            Matcher m = http.matcher(server.stderr());
            assertThat(m.find()).isTrue();
            ProtobusClients.publishBatch(server.channel(), events("sensors/temp", 4, 10));

            MetricsScrape onHttp = MetricsScrape.of("http://127.0.0.1:" + m.group(1) + "/metrics");
            assertThat(onHttp.value("protobus_log_last_position")).isEqualTo(4);
            assertThat(onHttp.names()).contains("jvm_threads_current");
            assertThat(server.stop()).isZero();
        }
    }
}
