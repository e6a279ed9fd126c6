package dev.tailbus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.StorePattern;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import dev.tailbus.protobus.client.BusAdmin;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * protobus-server as a gateway on a real Kafka broker (one child JVM for the whole class):
 * gateways in this JVM, real gRPC clients on 127.0.0.1.
 */
class KafkaGatewayTest {
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    @TempDir
    static Path brokerDir;
    static KafkaTestBroker broker;

    @TempDir
    Path root;
    final List<AutoCloseable> open = new ArrayList<>();
    String prefix;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaTestBroker.start(brokerDir);
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.stop();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    KafkaSettings settings(String... patterns) {
        if (prefix == null) {
            prefix = "t" + PREFIXES.incrementAndGet() + "-";
        }
        List<StorePattern> list = new ArrayList<>();
        for (String p : patterns) {
            list.add(StorePattern.parse(p));
        }
        return KafkaSettings.of(broker.bootstrap(), list).withTopicPrefix(prefix);
    }

    ProtobusServer gateway(KafkaSettings settings) {
        ProtobusServer server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", 0), LogConfig.builder(root).build()),
                KafkaLog.open(settings));
        open.add(server);
        return server;
    }

    static String address(ProtobusServer server) {
        return "127.0.0.1:" + server.port();
    }

    static BusEvent text(String topic, String s) {
        return BusEvent.of(topic, s.getBytes(StandardCharsets.UTF_8));
    }

    static String text(BusEvent e) {
        return new String(e.payloadBytes(), StandardCharsets.UTF_8);
    }

    <T extends AutoCloseable> T opened(T c) {
        open.add(c);
        return c;
    }

    List<BusEvent> take(BusSubscriber s, int n) throws InterruptedException {
        List<BusEvent> got = new ArrayList<>();
        while (got.size() < n) {
            BusEvent e = s.poll(Duration.ofSeconds(30));
            assertThat(e).as("event %d of %d", got.size() + 1, n).isNotNull();
            got.add(e);
        }
        return got;
    }

    @Test
    void shouldDeliverThroughGatewayBWhatGatewayAAcceptedWithEveryField() throws Exception {
        KafkaSettings settings = settings();
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        BusSubscriber sub = opened(BusSubscriber.builder(address(b)).topics("orders/").build());
        Instant eventTime = Instant.parse("2026-11-25T13:45:00.123456789Z");
        Instant before = Instant.now();
        try (BusPublisher pub = BusPublisher.builder(address(a)).build()) {
            pub.publish(text("orders/eu", "one").withTags(Map.of("k", "v", "x", "y")).withEventTime(eventTime));
            pub.publish(text("other", "not matching"));
            pub.publish(text("orders/us", "two"));
            pub.publish(text("orders/eu", "three"));
            pub.flush();
        }
        List<BusEvent> got = take(sub, 3);
        assertThat(got).extracting(BusEvent::topic).containsExactlyInAnyOrder("orders/eu", "orders/us", "orders/eu");
        assertThat(got.stream().filter(e -> e.topic().equals("orders/eu")).map(KafkaGatewayTest::text))
                .containsExactly("one", "three"); // one topic keeps its order
        BusEvent first = got.stream().filter(e -> text(e).equals("one")).findFirst().orElseThrow();
        assertThat(first.tags()).isEqualTo(Map.of("k", "v", "x", "y"));
        assertThat(first.eventTime()).isEqualTo(eventTime);
        assertThat(first.transmitTime()).isAfterOrEqualTo(before.minusSeconds(1));
        assertThat(first.receiveTime()).isAfterOrEqualTo(first.transmitTime().minusSeconds(1)).isBefore(Instant.now());
        assertThat(first.payload().getTypeUrl()).isEqualTo(BusEvent.BYTES_VALUE_TYPE_URL);
        assertThat(got).extracting(BusEvent::position).doesNotHaveDuplicates().allMatch(p -> p > 0);
        assertThat(sub.resumeToken()).isNotEmpty();

        // the wire form through the generated stub: payload_size, position and token set by the gateway
        ManagedChannel channel = opened(new ClosingChannel(NettyChannelBuilder.forTarget(address(a)).usePlaintext().build())).channel;
        Iterator<EncapsulatedEvent> raw = ProtobusServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscriptionRequest.newBuilder().addTopics("orders/eu")
                        .setOptions(SubscriptionOptions.newBuilder().setHistoryDepth(5)).build());
        EncapsulatedEvent one = raw.next();
        EncapsulatedEvent three = raw.next();
        assertThat(one.getTopic()).isEqualTo("orders/eu");
        assertThat(one.getPayload().unpack(BytesValue.class).getValue().toStringUtf8()).isEqualTo("one");
        assertThat(one.getPayloadSize()).isEqualTo(one.getPayload().getSerializedSize());
        assertThat(one.getPosition()).isEqualTo(first.position());
        assertThat(one.getServerReceiveTime().getSeconds()).isEqualTo(first.receiveTime().getEpochSecond());
        assertThat(one.getServerReceiveTime().getNanos()).isEqualTo(first.receiveTime().getNano());
        assertThat(one.getResumeToken()).isNotEqualTo(ByteString.EMPTY);
        assertThat(three.getPayload().unpack(BytesValue.class).getValue().toStringUtf8()).isEqualTo("three");
    }

    /** A channel as a resource of the test. */
    record ClosingChannel(ManagedChannel channel) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
