package dev.tailbus.bench.kafka;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Timestamp;
import dev.tailbus.bench.Table;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.StorePattern;
import dev.tailbus.kafka.KafkaLog;
import dev.tailbus.kafka.KafkaSettings;
import dev.tailbus.kafka.KafkaTestBroker;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
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
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * protobus-server as a gateway on Kafka against Kafka's own clients, in the same run, on the
 * same single-node broker (started by the benchmark as a child JVM, data in /tmp), with the same
 * events: N events of a 100-byte payload on one topic. Baselines: a {@code KafkaProducer} sending
 * the stamped event bytes with the gateway's producer settings (acks=all, idempotent), until all
 * are acknowledged; a {@code KafkaConsumer} with the gateway's consumer settings reading them
 * back, timed from its making. Measured: {@code PublishBatch} (batches of 1000) until the gateway
 * answers OK (Kafka acknowledged everything), and {@code SubscribeBatch} from the beginning until
 * N events arrived, counted at the wire level. Both sides are warm in the same way before the
 * clock: the raw topic exists and took one record; the gateway's took one event.
 *
 * <p>A smaller round, not counted, runs first (the JIT's work). Each round prints its two ratios (to stderr); the table gives the best rate of each measure,
 * the ratio of the bests, and the median of the rounds' ratios (each taken in one round, under the
 * same load: the steadier figure on a shared machine), and the median of the rounds' CPU ratios:
 * Kafka's client's CPU time per event over the gateway's, each the CPU time of this JVM (the
 * gateway, the gRPC client, the Kafka clients) and of the broker while its clock ran: the rate
 * ratio that CPU alone would allow when the two cores are the limit, whatever else runs beside.
 *
 * <p>Usage: {@code bin/tailbus-bench kafka.KafkaBenchmark [EVENTS [ROUNDS]]} (default 200,000 and 3).
 */
public final class KafkaBenchmark {
    private static final int PAYLOAD = 100;
    private static final int BATCH = 1000;

    private KafkaBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "tailbus-kafka-bench");
        Table table = new Table("what", "best events/s", "best vs best", "median of round ratios",
                "median CPU ratio");
        QUIET.setLevel(java.util.logging.Level.SEVERE);
        try (KafkaTestBroker broker = KafkaTestBroker.start(dir)) {
            KafkaSettings settings = KafkaSettings.of(broker.bootstrap(), List.of(StorePattern.parse("{topic}:.*")))
                    .withTopicPrefix("gw-");
            ProtobusServerConfig config = new ProtobusServerConfig(new ListenAddress("127.0.0.1", 0),
                    LogConfig.of(dir), 101, ProtobusServerConfig.DEFAULT_MAX_EVENT_BYTES, InstantSource.system());
            double produce = 0;
            double consume = 0;
            double publish = 0;
            double deliver = 0;
            List<Double> publishRatios = new ArrayList<>();
            List<Double> deliverRatios = new ArrayList<>();
            // Kafka's CPU per event over the gateway's: what the rate ratio would be if CPU alone bounded both
            List<Double> publishCpu = new ArrayList<>();
            List<Double> deliverCpu = new ArrayList<>();
            brokerPid = broker.pid();
            try (ProtobusServer server = ProtobusServer.start(NettyServerBuilder.forAddress(
                    new InetSocketAddress("127.0.0.1", 0)), config, KafkaLog.open(settings))) {
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                        .flowControlWindow(4 << 20).build();
                try {
                    // a first round of each, not counted: the JIT compiles the gateway's longer path meanwhile
                    List<EncapsulatedEvent> warm = sample("bench/warm", Math.min(events, 50_000));
                    rawProduce(broker.bootstrap(), "raw-warm", warm);
                    publishBatches(channel, warm);
                    rawConsume(broker.bootstrap(), "raw-warm", warm.size());
                    subscribeBatches(channel, "bench/warm", warm.size() + 1);
                    // rounds in turn, the best of each kept: the machine is shared, and its noise is large
                    for (int round = 0; round < rounds; round++) {
                        List<EncapsulatedEvent> sample = sample("bench/" + round, events);
                        double p = rawProduce(broker.bootstrap(), "raw-" + round, sample);
                        double pCpu = lastCpuMicros;
                        double pBroker = lastBrokerMicros;
                        double g = publishBatches(channel, sample);
                        double gCpu = lastCpuMicros;
                        double gBroker = lastBrokerMicros;
                        double c = rawConsume(broker.bootstrap(), "raw-" + round, events);
                        double cCpu = lastCpuMicros;
                        double cBroker = lastBrokerMicros;
                        // the warm-up event comes first
                        double d = subscribeBatches(channel, "bench/" + round, events + 1);
                        double dCpu = lastCpuMicros;
                        double dBroker = lastBrokerMicros;
                        publishCpu.add(pCpu / gCpu);
                        deliverCpu.add(cCpu / dCpu);
                        produce = Math.max(produce, p);
                        publish = Math.max(publish, g);
                        consume = Math.max(consume, c);
                        deliver = Math.max(deliver, d);
                        publishRatios.add(g / p);
                        deliverRatios.add(d / c);
                        System.err.printf("round %d: publish %s/%s = %.2f (CPU us/event %.1f/%.1f, broker's %.1f/%.1f),"
                                + " deliver %s/%s = %.2f (CPU us/event %.1f/%.1f, broker's %.1f/%.1f)%n", round + 1,
                                Table.rate(g), Table.rate(p), g / p, gCpu, pCpu, gBroker, pBroker,
                                Table.rate(d), Table.rate(c), d / c, dCpu, cCpu, dBroker, cBroker);
                    }
                } finally {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
            table.row("Kafka producer (acks=all, idempotent)", Table.rate(produce), "1.00", "1.00", "1.00");
            table.row("gateway PublishBatch (batches of " + BATCH + ")", Table.rate(publish), ratio(publish, produce),
                    median(publishRatios), median(publishCpu));
            table.row("Kafka consumer (from the beginning)", Table.rate(consume), "1.00", "1.00", "1.00");
            table.row("gateway SubscribeBatch (from the beginning)", Table.rate(deliver), ratio(deliver, consume),
                    median(deliverRatios), median(deliverCpu));
        } finally {
            delete(dir);
        }
        System.out.println("protobus-server on Kafka, " + events + " events of a " + PAYLOAD
                + "-byte payload, one topic, one partition, single-node broker on this machine; best of "
                + rounds + " rounds");
        System.out.print(table.render());
    }

    /** Held so that its level stays: the Kafka clients speak only of errors. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("org.apache.kafka");

    private static String ratio(double value, double baseline) {
        return String.format("%.2f", value / baseline);
    }

    /** The broker's process id, for its CPU time. */
    private static long brokerPid = -1;
    /** CPU microseconds per event of the last measure: this JVM (gateway, clients) and the broker. */
    private static double lastCpuMicros;

    /** CPU microseconds per event of the last measure spent by the broker alone. */
    private static double lastBrokerMicros;

    /** With {@code -Dtailbus.bench.threads=true}: each measure's CPU time per event of every thread, to stderr. */
    private static final boolean PER_THREAD = Boolean.getBoolean("tailbus.bench.threads");

    /** CPU time so far, in nanoseconds, of this process and of the broker (and, when asked, per thread). */
    private record Cpu(long own, long broker, Map<String, Long> threads) {
        static Cpu now() {
            long own = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
            long broker = ProcessHandle.of(brokerPid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos)
                    .orElse(0L);
            Map<String, Long> threads = new java.util.HashMap<>();
            if (PER_THREAD) {
                java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    long cpu = mx.getThreadCpuTime(t.threadId());
                    if (cpu > 0) {
                        threads.merge(t.getName().replaceAll("[0-9]+", "N"), cpu, Long::sum);
                    }
                }
            }
            return new Cpu(own, broker, threads);
        }
    }

    /** Sets the last measure's CPU time per event, from {@code start} to now. */
    private static void charge(Cpu start, long events) {
        Cpu end = Cpu.now();
        lastCpuMicros = (end.own() - start.own() + end.broker() - start.broker()) / 1e3 / Math.max(1, events);
        lastBrokerMicros = (end.broker() - start.broker()) / 1e3 / Math.max(1, events);
        if (PER_THREAD) {
            StringBuilder line = new StringBuilder("  CPU us/event by thread:");
            end.threads().entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), e.getValue() - start.threads().getOrDefault(e.getKey(), 0L)))
                    .filter(e -> e.getValue() > 0).sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> line.append(String.format(" %s %.2f;", e.getKey(), e.getValue() / 1e3 / events)));
            line.append(String.format(" broker %.2f", lastBrokerMicros));
            System.err.println(line);
        }
    }

    private static String median(List<Double> ratios) {
        List<Double> sorted = ratios.stream().sorted().toList();
        int n = sorted.size();
        double m = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
        return String.format("%.2f", m);
    }

    private static List<EncapsulatedEvent> sample(String topic, int count) {
        byte[] payload = new byte[PAYLOAD];
        Any any = Any.pack(BytesValue.of(ByteString.copyFrom(payload)));
        List<EncapsulatedEvent> out = new ArrayList<>(count);
        long now = System.currentTimeMillis() / 1000;
        for (int i = 0; i < count; i++) {
            out.add(EncapsulatedEvent.newBuilder().setTopic(topic).setPayload(any)
                    .setClientEventTime(Timestamp.newBuilder().setSeconds(now).setNanos(i))
                    .setServerReceiveTime(Timestamp.newBuilder().setSeconds(now).setNanos(i))
                    .setPayloadSize(any.getSerializedSize()).build());
        }
        return out;
    }

    private static Map<String, Object> producerSettings(String bootstrap) {
        return Map.of("bootstrap.servers", bootstrap, "acks", "all", "enable.idempotence", true, "linger.ms", 1,
                "batch.size", 256 * 1024, "compression.type", "none");
    }

    /** The gateway's consumer settings (KafkaClients), for a like-for-like baseline. */
    private static Map<String, Object> consumerSettings(String bootstrap) {
        return Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", false, "isolation.level", "read_committed",
                "fetch.max.wait.ms", 100, "max.poll.records", 2000);
    }

    /** Kafka's producer alone: every event sent, then every acknowledgement awaited. */
    private static double rawProduce(String bootstrap, String topic, List<EncapsulatedEvent> sample) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        List<byte[]> values = sample.stream().map(EncapsulatedEvent::toByteArray).toList();
        byte[] key = sample.get(0).getTopic().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings(bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, values.get(0))).get(); // connected and warm
            AtomicLong acked = new AtomicLong();
            CountDownLatch all = new CountDownLatch(1);
            long start = System.nanoTime();
            Cpu cpu = Cpu.now();
            for (byte[] v : values) {
                producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), key, v), (md, e) -> {
                    if (e != null) {
                        throw new IllegalStateException(e);
                    }
                    if (acked.incrementAndGet() == values.size()) {
                        all.countDown();
                    }
                });
            }
            if (!all.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("the producer did not finish");
            }
            charge(cpu, values.size());
            return values.size() * 1e9 / (System.nanoTime() - start);
        }
    }

    /** Kafka's consumer alone: the raw topic read from its beginning. */
    private static double rawConsume(String bootstrap, String topic, int events) {
        // the clock runs from the consumer's making, as a gateway's subscription makes its own
        long start = System.nanoTime();
        Cpu cpu = Cpu.now();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerSettings(bootstrap),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 1); // after the warm-up record
            long seen = 0;
            long deadline = start + TimeUnit.MINUTES.toNanos(5);
            while (seen < events && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                seen += records.count();
            }
            charge(cpu, seen);
            return seen * 1e9 / (System.nanoTime() - start);
        }
    }

    /** PublishBatch through the gateway, until its OK (Kafka acknowledged every event). */
    private static double publishBatches(ManagedChannel channel, List<EncapsulatedEvent> sample) throws Exception {
        warmUp(channel, sample.get(0).getTopic());
        // serialized before the clock starts, as the producer's values are
        List<byte[]> batches = new ArrayList<>();
        for (int i = 0; i < sample.size(); i += BATCH) {
            batches.add(EventBatch.newBuilder().addAllEvents(sample.subList(i, Math.min(sample.size(), i + BATCH)))
                    .build().toByteArray());
        }
        MethodDescriptor<byte[], Status> method = ProtobusServiceGrpc.getPublishBatchMethod().toBuilder(BYTES,
                io.grpc.protobuf.ProtoUtils.marshaller(Status.getDefaultInstance())).build();
        CompletableFuture<Status> answer = new CompletableFuture<>();
        java.util.concurrent.Semaphore ready = new java.util.concurrent.Semaphore(0);
        long start = System.nanoTime();
        Cpu cpu = Cpu.now();
        ClientCallStreamObserver<byte[]> call = (ClientCallStreamObserver<byte[]>)
                io.grpc.stub.ClientCalls.asyncClientStreamingCall(channel.newCall(method, CallOptions.DEFAULT),
                        answerObserver(answer, ready));
        for (byte[] batch : batches) {
            // waits for the transport to be ready, as the producer waits for room in its buffer: no spinning
            while (!call.isReady()) {
                ready.tryAcquire(10, TimeUnit.MILLISECONDS);
            }
            call.onNext(batch);
        }
        call.onCompleted();
        Status status = answer.get(5, TimeUnit.MINUTES);
        if (status.getCode() != 0) {
            throw new IllegalStateException("publish failed: " + status.getMessage());
        }
        charge(cpu, sample.size());
        return sample.size() * 1e9 / (System.nanoTime() - start);
    }

    /** Completes {@code answer} with the call's Status; releases {@code ready} when the transport is ready. */
    private static io.grpc.stub.ClientResponseObserver<byte[], Status> answerObserver(CompletableFuture<Status> answer,
                                                                                     java.util.concurrent.Semaphore ready) {
        return new io.grpc.stub.ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<byte[]> call) {
                call.setOnReadyHandler(ready::release);
            }

            @Override
            public void onNext(Status value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.complete(Status.getDefaultInstance());
            }
        };
    }

    /**
     * One event on the round's topic before the clock, as the producer's warm-up record: its Kafka
     * topic is made and known to the gateway's producer, as the raw topic is to the raw producer.
     */
    private static void warmUp(ManagedChannel channel, String topic) throws Exception {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        MethodDescriptor<byte[], Status> method = ProtobusServiceGrpc.getPublishBatchMethod().toBuilder(BYTES,
                io.grpc.protobuf.ProtoUtils.marshaller(Status.getDefaultInstance())).build();
        StreamObserver<byte[]> call = io.grpc.stub.ClientCalls.asyncClientStreamingCall(
                channel.newCall(method, CallOptions.DEFAULT), answerObserver(answer, new java.util.concurrent.Semaphore(0)));
        call.onNext(EventBatch.newBuilder().addEvents(EncapsulatedEvent.newBuilder().setTopic(topic)).build()
                .toByteArray());
        call.onCompleted();
        answer.get(1, TimeUnit.MINUTES);
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                if (stream instanceof io.grpc.KnownLength) {
                    // one copy, as a generated parser reads: readAllBytes copies twice
                    byte[] out = new byte[stream.available()];
                    stream.readNBytes(out, 0, out.length);
                    return out;
                }
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** SubscribeBatch through the gateway from the beginning, events counted without decoding them. */
    private static double subscribeBatches(ManagedChannel channel, String topic, int events) throws Exception {
        MethodDescriptor<byte[], byte[]> method = ProtobusServiceGrpc.getSubscribeBatchMethod().toBuilder(BYTES, BYTES).build();
        ClientCall<byte[], byte[]> call = channel.newCall(method, CallOptions.DEFAULT);
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong seen = new AtomicLong();
        long start = System.nanoTime();
        Cpu cpu = Cpu.now();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                if (seen.addAndGet(count(message)) >= events) {
                    done.countDown();
                }
                call.request(1);
            }

            @Override
            public void onClose(io.grpc.Status status, Metadata trailers) {
                done.countDown();
            }
        }, new Metadata());
        call.request(4);
        call.sendMessage(SubscriptionRequest.newBuilder().addTopics(topic + "$").setOptions(SubscriptionOptions
                .newBuilder().setSinceTime(Timestamp.newBuilder().setSeconds(0))).build().toByteArray());
        call.halfClose();
        done.await(5, TimeUnit.MINUTES);
        long nanos = System.nanoTime() - start;
        charge(cpu, seen.get());
        call.cancel("done", null);
        if (seen.get() < events) {
            throw new IllegalStateException("received " + seen.get() + " of " + events);
        }
        return seen.get() * 1e9 / nanos;
    }

    private static int count(byte[] batch) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(batch);
            int n = 0;
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                n++;
                in.skipField(tag);
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
