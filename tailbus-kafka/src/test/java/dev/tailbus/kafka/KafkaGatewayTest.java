package dev.tailbus.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.StoredEvent;
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
import java.util.Optional;
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

    @Test
    void shouldStartWithTheLastEventsPerTopicThenGoLiveThroughAnotherGateway() throws Exception {
        KafkaSettings settings = settings("mixed:m/", "{topic}:.*");
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        BusPublisher pub = opened(BusPublisher.builder(address(a)).build());
        for (int i = 1; i <= 5; i++) {
            pub.publish(text("m/a", "a" + i));
        }
        pub.publish(text("m/b", "b1"));
        pub.publish(text("z", "z1"));
        pub.flush();
        BusSubscriber sub = opened(BusSubscriber.builder(address(b)).topics("m/", "z").history(2).build());
        List<BusEvent> history = take(sub, 4);
        assertThat(history).extracting(KafkaGatewayTest::text).containsExactlyInAnyOrder("a4", "a5", "b1", "z1");
        pub.publish(text("m/a", "a6"));
        pub.publish(text("z", "z2"));
        pub.flush();
        List<BusEvent> live = take(sub, 2);
        assertThat(live).extracting(KafkaGatewayTest::text).containsExactlyInAnyOrder("a6", "z2");
        assertThat(sub.poll(Duration.ofMillis(1500))).as("nothing more, no copy from the second Kafka topic").isNull();
    }

    @Test
    void shouldAnswerAMixedBatchWithThePositionsItsEventsAreDeliveredWith() throws Exception {
        // a/ goes to two Kafka topics (home: both), b/ to one, c/ to none
        KafkaSettings settings = settings("both:(a|b)/", "one-{topic}:a/");
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        ManagedChannel channel = opened(new ClosingChannel(NettyChannelBuilder.forTarget(address(a)).usePlaintext()
                .build())).channel;
        List<String> topics = List.of("a/x", "a/x", "b/y", "c/z", "a/x", "b/y", "b/y", "c/z", "a/w");
        dev.tailbus.protobus.proto.EventBatch.Builder batch = dev.tailbus.protobus.proto.EventBatch.newBuilder()
                .setReturnPositions(true);
        for (int i = 0; i < topics.size(); i++) {
            batch.addEvents(EncapsulatedEvent.newBuilder().setTopic(topics.get(i)).setPayload(com.google.protobuf.Any
                    .pack(BytesValue.of(ByteString.copyFromUtf8("e" + i)))));
        }
        java.util.concurrent.CompletableFuture<dev.tailbus.protobus.proto.Status> answer = publishRaw(channel,
                batch.build());
        List<Long> positions = answer.get(30, TimeUnit.SECONDS).getPositionsList();
        assertThat(positions).hasSize(topics.size());
        for (int i = 0; i < topics.size(); i++) {
            boolean unstored = topics.get(i).startsWith("c/");
            assertThat(positions.get(i)).as("event %d (%s)", i, topics.get(i)).matches(p -> unstored ? p == 0 : p > 0);
        }

        BusSubscriber sub = opened(BusSubscriber.builder(address(b)).topics("(a|b)/").since(Instant.ofEpochSecond(1))
                .build());
        List<BusEvent> got = take(sub, 7);
        assertThat(got).extracting(KafkaGatewayTest::text).containsExactly("e0", "e1", "e2", "e4", "e5", "e6", "e8");
        List<Long> stored = new ArrayList<>();
        for (int i = 0; i < topics.size(); i++) {
            if (!topics.get(i).startsWith("c/")) {
                stored.add(positions.get(i));
            }
        }
        assertThat(got).extracting(BusEvent::position).containsExactlyElementsOf(stored);
        assertThat(sub.poll(Duration.ofMillis(1000))).as("no copy from the second Kafka topic").isNull();
    }

    @Test
    void shouldCreateTopicsWithTheirPartitionsOrUseThemAsTheyExistAndResumeExactlyAcrossPartitions() throws Exception {
        KafkaSettings settings = settings("pre:p/", "{topic}:.*").withTopicLayout(Optional.of(3), Optional.of((short) 1));
        String pre = new KafkaTopicNames(prefix).of("pre");
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", broker.bootstrap()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(pre, 2, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        List<String> topics = List.of("p/0", "p/1", "p/2", "p/3", "p/4", "q/0", "q/1", "q/2", "q/3", "q/4");
        try (BusPublisher pub = BusPublisher.builder(address(a)).build()) {
            for (int i = 0; i < 100; i++) {
                pub.publish(text(topics.get(i % topics.size()), "e" + i));
            }
            pub.flush();
        }
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", broker.bootstrap()))) {
            Map<String, org.apache.kafka.clients.admin.TopicDescription> described = admin.describeTopics(List.of(pre,
                    new KafkaTopicNames(prefix).of("q/3"), new KafkaTopicNames(prefix).of("p/3"))).allTopicNames()
                    .get(30, TimeUnit.SECONDS);
            assertThat(described.get(pre).partitions()).as("used as it existed").hasSize(2);
            assertThat(described.get(new KafkaTopicNames(prefix).of("q/3")).partitions()).as("made on first use")
                    .hasSize(3);
            // p/ events match both patterns: the second Kafka topic holds them too
            assertThat(described).containsKey(new KafkaTopicNames(prefix).of("p/3"));
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrap()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> copies = consumer.partitionsFor(new KafkaTopicNames(prefix).of("p/3")).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            assertThat(consumer.endOffsets(copies).values().stream().mapToLong(Long::longValue).sum())
                    .as("every p/3 event in its second Kafka topic").isEqualTo(10);
        }

        // the events of several partitions of several Kafka topics, each topic in its order; cut anywhere, resumed exactly
        BusSubscriber first = BusSubscriber.builder(address(b)).topics("p/", "q/").since(Instant.ofEpochSecond(1))
                .reconnectFor(Duration.ZERO).build();
        List<BusEvent> part = take(first, 37);
        byte[] token = first.resumeToken();
        first.close();
        BusSubscriber rest = opened(BusSubscriber.builder(address(a)).topics("p/", "q/").resumeToken(token).build());
        List<BusEvent> all = new ArrayList<>(part);
        all.addAll(take(rest, 63));
        assertThat(rest.poll(Duration.ofMillis(1000))).as("nothing more, no copy").isNull();
        assertThat(all).extracting(KafkaGatewayTest::text).doesNotHaveDuplicates().hasSize(100);
        assertThat(all).extracting(BusEvent::position).doesNotHaveDuplicates();
        for (String topic : topics) {
            List<Integer> order = all.stream().filter(e -> e.topic().equals(topic))
                    .map(e -> Integer.parseInt(text(e).substring(1))).toList();
            assertThat(order).as(topic).hasSize(10).isSorted();
        }
    }

    @Test
    void shouldStartAtTheFirstEventReceivedAtOrAfterSinceTime() throws Exception {
        KafkaSettings settings = settings();
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        BusPublisher pub = opened(BusPublisher.builder(address(a)).build());
        pub.publish(text("s/x", "old1"));
        pub.publish(text("s/y", "old2"));
        pub.flush();
        Instant since = Instant.now().plusMillis(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(since.plusMillis(2)));
        pub.publish(text("s/x", "new1"));
        pub.publish(text("s/y", "new2"));
        pub.flush();
        BusSubscriber sub = opened(BusSubscriber.builder(address(b)).topics("s/").since(since).build());
        assertThat(take(sub, 2)).extracting(KafkaGatewayTest::text).containsExactlyInAnyOrder("new1", "new2");
        pub.publish(text("s/x", "live"));
        pub.flush();
        assertThat(text(take(sub, 1).get(0))).isEqualTo("live");
        assertThat(sub.poll(Duration.ofMillis(1000))).isNull();
    }

    @Test
    void shouldLetAPlainKafkaConsumerDecodeTheValuesWithTheGeneratedClasses() throws Exception {
        KafkaSettings settings = settings("shared:.*");
        ProtobusServer a = gateway(settings);
        try (BusPublisher pub = BusPublisher.builder(address(a)).build()) {
            pub.publish(text("plain/one", "p1").withTags(Map.of("t", "1")));
            pub.publish(text("plain/two", "p2"));
            pub.flush();
        }
        String kafkaTopic = new KafkaTopicNames(prefix).of("shared");
        assertThat(kafkaTopic).isEqualTo(prefix + "shared");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrap()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(kafkaTopic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= 2;
            });
        }
        assertThat(records).hasSize(2);
        for (ConsumerRecord<byte[], byte[]> r : records) {
            EncapsulatedEvent e = EncapsulatedEvent.parseFrom(r.value());
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getTopic());
            long receiveMs = e.getServerReceiveTime().getSeconds() * 1000 + e.getServerReceiveTime().getNanos() / 1_000_000;
            assertThat(r.timestamp()).isEqualTo(receiveMs);
            assertThat(e.getPayloadSize()).isEqualTo(e.getPayload().getSerializedSize());
        }
        EncapsulatedEvent first = EncapsulatedEvent.parseFrom(records.get(0).value());
        assertThat(first.getTopic()).isEqualTo("plain/one");
        assertThat(first.getTagsMap()).isEqualTo(Map.of("t", "1"));
        assertThat(first.getPayload().unpack(BytesValue.class).getValue().toStringUtf8()).isEqualTo("p1");

        // and tailbus topics (the admin service) counts them
        ListTopicsResponse topics = BusAdmin.listTopics(address(a), List.of("plain/"), Duration.ofSeconds(10));
        assertThat(topics.getTopicsList()).extracting(TopicInfo::getTopic).containsExactly("plain/one", "plain/two");
        assertThat(topics.getTopicsList()).extracting(TopicInfo::getEvents).containsExactly(1L, 1L);
        assertThat(topics.getResumeToken()).isNotEmpty();
    }

    @Test
    void shouldResumeExactlyThroughAnotherGatewayAndThroughARestartedOne() throws Exception {
        KafkaSettings settings = settings();
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        BusPublisher pub = opened(BusPublisher.builder(address(a)).build());
        BusSubscriber onB = BusSubscriber.builder(address(b)).topics("r/").reconnectFor(Duration.ZERO).build();
        for (int i = 0; i < 20; i++) {
            pub.publish(text("r/" + (i % 3), "e" + i));
        }
        pub.flush();
        List<BusEvent> firstPart = take(onB, 12);
        byte[] token = onB.resumeToken();
        b.close(); // the gateway the subscriber was on goes away
        onB.close();
        for (int i = 20; i < 30; i++) {
            pub.publish(text("r/" + (i % 3), "e" + i));
        }
        pub.flush();
        BusSubscriber onA = opened(BusSubscriber.builder(address(a)).topics("r/").resumeToken(token).build());
        List<BusEvent> rest = take(onA, 18);
        Set<String> all = new HashSet<>();
        firstPart.forEach(e -> all.add(text(e)));
        rest.forEach(e -> assertThat(all.add(text(e))).as("delivered once: %s", text(e)).isTrue());
        assertThat(all).hasSize(30);
        assertThat(onA.poll(Duration.ofMillis(1000))).isNull();

        // the library itself: its gateway restarts on the same port, it resumes with its token
        int port = a.port();
        BusSubscriber live = opened(BusSubscriber.builder(address(a)).topics("r/").reconnectFor(Duration.ofSeconds(60)).build());
        pub.close();
        BusPublisher viaC = opened(BusPublisher.builder(address(gatewayOn(settings, 0))).build());
        viaC.publish(text("r/0", "x1"));
        viaC.flush();
        assertThat(text(take(live, 1).get(0))).isEqualTo("x1");
        a.close();
        viaC.publish(text("r/1", "x2"));
        viaC.publish(text("r/2", "x3"));
        viaC.flush();
        gatewayOn(settings, port);
        assertThat(take(live, 2)).extracting(KafkaGatewayTest::text).containsExactlyInAnyOrder("x2", "x3");
        assertThat(live.reconnects()).isPositive();
        assertThat(live.poll(Duration.ofMillis(1000))).isNull();
    }

    @Test
    void shouldExportAStoreWithRotatedSegmentsAndTwoPatternsThenAddNothingOnASecondRun() throws Exception {
        Path store = root.resolve("store");
        java.nio.file.Files.createDirectories(store);
        LogConfig local = LogConfig.builder(store).pattern("all:.*").pattern("{topic}:ex/").rotateAboveBytes(512).build();
        long t0 = 1_700_000_000_123_456_789L;
        List<byte[]> written = new ArrayList<>();
        try (EventLog log = EventLog.open(local)) {
            for (int i = 0; i < 40; i++) {
                String topic = i % 4 == 3 ? "other" : "ex/" + (i % 3);
                byte[] event = EventWire.minimalEvent(topic, t0 + i * 1_000_000L, null);
                written.add(log.append(List.of(new EventToAppend(topic, t0 + i * 1_000_000L, event))).get(0).event());
            }
        }
        assertThat(java.nio.file.Files.list(store).filter(f -> f.getFileName().toString().startsWith("all")).count())
                .as("rotated segments").isGreaterThan(2);
        KafkaSettings settings = settings("all:.*", "{topic}:ex/");
        try (KafkaLog kafka = KafkaLog.open(settings)) {
            KafkaExport.Result first = KafkaExport.run(store, kafka);
            assertThat(first.events()).isEqualTo(40);
            assertThat(first.copied()).isEqualTo(40 + 30); // ex/ topics are stored twice
            List<StoredEvent> there = kafka.readAfter(t -> true, 0).toList();
            assertThat(there).hasSize(40);
            for (int i = 0; i < 40; i++) {
                StoredEvent e = there.get(i);
                assertThat(e.receiveTimeNanos()).isEqualTo(t0 + i * 1_000_000L);
                byte[] value = java.util.Arrays.copyOf(e.event(), written.get(i).length);
                assertThat(value).as("event %d as stored locally, with its local position", i).isEqualTo(written.get(i));
            }
            KafkaExport.Result second = KafkaExport.run(store, kafka);
            assertThat(second.copied()).isZero();
            assertThat(second.skipped()).isEqualTo(70);
        }
        // more events locally: the next run copies those alone
        try (EventLog log = EventLog.open(local)) {
            log.append(List.of(new EventToAppend("ex/0", t0 + 99_000_000L, EventWire.minimalEvent("ex/0", t0 + 99_000_000L, null))));
        }
        try (KafkaLog kafka = KafkaLog.open(settings)) {
            KafkaExport.Result third = KafkaExport.run(store, kafka);
            assertThat(third.copied()).isEqualTo(2);
            assertThat(kafka.readAfter(t -> true, 0).toList()).hasSize(41);
            assertThat(kafka.topics()).extracting(t -> t.topic() + "=" + t.events())
                    .containsExactly("ex/0=11", "ex/1=10", "ex/2=10", "other=10");
        }
    }

    @Test
    void shouldKeepEveryAcknowledgedEventWhenTheBrokerStopsAndStartsUnderAPublisherAndASubscriber() throws Exception {
        KafkaSettings settings = settings();
        ProtobusServer a = gateway(settings);
        ProtobusServer b = gateway(settings);
        BusSubscriber sub = opened(BusSubscriber.builder(address(b)).topics("f/").build());
        Set<String> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread publisher = new Thread(() -> {
            try (BusPublisher pub = BusPublisher.builder(address(a)).build()) {
                while (!stop.get() && sent.get() < 5000) {
                    String payload = "f" + sent.getAndIncrement();
                    pub.publishAsync(text("f/" + (sent.get() % 2), payload)).whenComplete((ok, error) -> {
                        if (error == null) {
                            acked.add(payload);
                        } else {
                            failed.incrementAndGet();
                        }
                    });
                    if (sent.get() % 50 == 0) {
                        try {
                            pub.flush();
                        } catch (RuntimeException e) {
                            // UNAVAILABLE while the broker is away: counted by the futures
                        }
                    }
                }
            } catch (RuntimeException e) {
                // the publisher's last flush failed while the broker was away
            }
        });
        publisher.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() >= 200);
            broker.stop();
            int before = sent.get();
            broker.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= before + 200);
        } finally {
            stop.set(true);
            publisher.join(60_000);
        }
        Set<String> received = new HashSet<>();
        List<Long> positions = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (BusEvent e = sub.poll(Duration.ofMillis(100)); e != null; e = sub.poll(Duration.ZERO)) {
                received.add(text(e));
                positions.add(e.position());
            }
            return received.containsAll(acked);
        });
        assertThat(positions).as("nothing delivered twice").doesNotHaveDuplicates();
        assertThat(acked).isNotEmpty();
    }

    /** One PublishBatch call of {@code batch}: the gateway's Status, or its error. */
    static java.util.concurrent.CompletableFuture<dev.tailbus.protobus.proto.Status> publishRaw(ManagedChannel channel,
            dev.tailbus.protobus.proto.EventBatch batch) {
        java.util.concurrent.CompletableFuture<dev.tailbus.protobus.proto.Status> answer =
                new java.util.concurrent.CompletableFuture<>();
        io.grpc.stub.StreamObserver<dev.tailbus.protobus.proto.EventBatch> call = ProtobusServiceGrpc.newStub(channel)
                .publishBatch(dev.tailbus.protobus.client.StatusAnswer.into(answer));
        call.onNext(batch);
        call.onCompleted();
        return answer;
    }

    /** The gRPC code a PublishBatch of one event with {@code text} on {@code topic} is answered with. */
    static io.grpc.Status.Code publishCode(ManagedChannel channel, String topic, String text) throws Exception {
        dev.tailbus.protobus.proto.EventBatch batch = dev.tailbus.protobus.proto.EventBatch.newBuilder()
                .addEvents(EncapsulatedEvent.newBuilder().setTopic(topic).setPayload(com.google.protobuf.Any
                        .pack(BytesValue.of(ByteString.copyFromUtf8(text))))).build();
        try {
            return io.grpc.Status.Code.values()[publishRaw(channel, batch).get(60, TimeUnit.SECONDS).getCode()];
        } catch (java.util.concurrent.ExecutionException e) {
            return io.grpc.Status.fromThrowable(e.getCause()).getCode();
        }
    }

    @Test
    void shouldAnswerUnavailableForWhatKafkaDidNotAcknowledgeWhileTheBrokerIsAwayAndLoseNothingItDid() throws Exception {
        KafkaSettings settings = settings();
        // Kafka's delivery timeout shortened, as a user would with --kafka-property: the refusal comes within seconds
        ProtobusServer a = gateway(settings.withProperties(Map.of("delivery.timeout.ms", "4000",
                "request.timeout.ms", "1500", "max.block.ms", "3000")));
        ProtobusServer b = gateway(settings);
        ManagedChannel channel = opened(new ClosingChannel(NettyChannelBuilder.forTarget(address(a)).usePlaintext()
                .build())).channel;
        BusSubscriber sub = opened(BusSubscriber.builder(address(b)).topics("u/").build());
        assertThat(publishCode(channel, "u/x", "before")).isEqualTo(io.grpc.Status.Code.OK);
        assertThat(text(take(sub, 1).get(0))).isEqualTo("before");

        broker.stop();
        io.grpc.Status.Code away;
        long started = System.nanoTime();
        try {
            away = publishCode(channel, "u/x", "away");
        } finally {
            broker.start();
        }
        assertThat(away).as("an event Kafka did not acknowledge").isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("within the delivery timeout, and a margin")
                .isLessThan(Duration.ofSeconds(30));

        // the cluster is back: the same gateway accepts again, the subscriber (which waited) continues
        List<String> accepted = new ArrayList<>();
        AtomicInteger tries = new AtomicInteger();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            String t = "after" + tries.incrementAndGet();
            if (publishCode(channel, "u/x", t) == io.grpc.Status.Code.OK) {
                accepted.add(t);
                return true;
            }
            return false;
        });
        List<String> received = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (BusEvent e = sub.poll(Duration.ofMillis(100)); e != null; e = sub.poll(Duration.ZERO)) {
                received.add(text(e));
            }
            return received.containsAll(accepted);
        });
        assertThat(received).as("nothing twice, the refused event not stored").doesNotHaveDuplicates()
                .doesNotContain("away");
        BusSubscriber fromStart = opened(BusSubscriber.builder(address(b)).topics("u/").since(Instant.ofEpochSecond(1))
                .build());
        List<String> kept = new ArrayList<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (BusEvent e = fromStart.poll(Duration.ofMillis(100)); e != null; e = fromStart.poll(Duration.ZERO)) {
                kept.add(text(e));
            }
            return kept.containsAll(accepted);
        });
        assertThat(kept).as("every acknowledged event kept, in order").startsWith("before").doesNotContain("away");
    }

    ProtobusServer gatewayOn(KafkaSettings settings, int port) {
        ProtobusServer server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port)),
                ProtobusServerConfig.of(new ListenAddress("127.0.0.1", port), LogConfig.builder(root).build()),
                KafkaLog.open(settings));
        open.add(server);
        return server;
    }

    /** A channel as a resource of the test. */
    record ClosingChannel(ManagedChannel channel) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
