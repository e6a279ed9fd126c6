package dev.tailbus.bench.protobus;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Timestamp;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.LogReader;
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
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * The protobus-server benchmark, measured as users run it: clients generated from the interface
 * files on the compatible methods ({@code Publish}, {@code Subscribe}, one event per message,
 * every event decoded), beside the batch methods; each figure next to a baseline of the same run:
 * the log alone (appends in batches of 1000, sequential read), publishing with no subscriber, and
 * the {@code Subscribe} replay of stored events. Publishing alone, replay and live delivery to one
 * subscriber are measured in alternating rounds (the load of a shared machine moves between rows),
 * the median round shown. Then 10 live subscribers, and the publish-to-subscriber latency at a
 * steady 10,000 and 100,000 events/s.
 *
 * <p>The server runs in this JVM on 127.0.0.1 (real gRPC over TCP) with network threads of its
 * own, and each client channel with one of its own, as separate processes would have
 * ({@link ServerTransport}).
 *
 * <p>Usage: {@code bin/tailbus-bench protobus.ProtobusBenchmark [EVENTS [LATENCY_SECONDS]]}
 * (default 1,000,000 and 20). Record the server with
 * {@code TAILBUS_BENCH_JAVA_OPTS=-XX:StartFlightRecording=filename=F.jfr,settings=profile}.
 */
public final class ProtobusBenchmark {
    private static final int PAYLOAD = 100;
    private static final int BATCH = 1000;

    private ProtobusBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
        int latencySeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "tailbus-protobus-bench");
        List<String[]> rows = new ArrayList<>();
        try {
            double logAppend = logAppendRate(dir.resolve("log"), events);
            double logRead = logReadRate(dir.resolve("log"));
            rows.add(row("log alone: append (batches of 1000)", logAppend, logAppend, "log append"));
            rows.add(row("log alone: sequential read", logRead, logRead, "log read"));

            Path store = Files.createDirectories(dir.resolve("server"));
            ProtobusServerConfig config = new ProtobusServerConfig(new ListenAddress("127.0.0.1", 0),
                    LogConfig.of(store), 101, ProtobusServerConfig.DEFAULT_MAX_EVENT_BYTES, java.time.InstantSource.system());
            try (ProtobusServer server = ProtobusServer.start(ServerTransport.builder(0), config)) {
                ManagedChannel publisherChannel = channel(server.port());
                List<EncapsulatedEvent> sample = sample("warmup", 200_000);
                publishBatches(publisherChannel, sample); // warm up every path
                publishSingly(publisherChannel, sample.subList(0, 100_000));
                replay(server, "warmup", 100_000, false);
                live(server, publisherChannel, "warm-live", 100_000, 1);

                // The goals compare live delivery with replay and publishing with and without a live
                // subscriber: on a shared machine the load moves between rows, so these are measured
                // in alternating rounds, each ratio within its round, and the median round is shown.
                double[][] rounds = new double[ROUNDS][];
                for (int r = 0; r < ROUNDS; r++) {
                    String topic = topic(r);
                    double alone = rate(events, timed(() -> publishSingly(publisherChannel, sample(topic, events))));
                    double replayed = replay(server, topic, events, false);
                    double[] live1 = live(server, publisherChannel, "live1-" + r, events, 1);
                    rounds[r] = new double[] {alone, replayed, live1[0], live1[1]};
                    System.out.printf("round %d: Publish alone %,.0f, Subscribe replay %,.0f, with 1 live subscriber: "
                            + "Publish %,.0f (%.2f), live Subscribe %,.0f (%.2f)%n", r + 1, alone, replayed, live1[0],
                            live1[0] / alone, live1[1], live1[1] / replayed);
                }
                double[] median = medianRound(rounds);
                double publish = median[0];
                double replay = median[1];
                rows.add(row("publish, Publish (one event per message)", publish, publish, "Publish alone"));
                rows.add(row("publish, PublishBatch (1000 per message)",
                        rate(events, timed(() -> publishBatches(publisherChannel, sample("batch", events)))), publish,
                        "Publish alone"));
                rows.add(row("history replay, Subscribe (history_depth)", replay, replay, "Subscribe replay"));
                rows.add(row("history replay, Subscribe, client on directExecutor", replay(server, topic(0), events,
                        false, true), replay, "Subscribe replay"));
                rows.add(row("history replay, SubscribeBatch (history_depth)", replay(server, "batch", events, true),
                        replay, "Subscribe replay"));
                rows.add(row("live: 1 subscriber (Subscribe) while publishing (Publish)", median[3], replay,
                        "Subscribe replay"));
                rows.add(row("live: publishing (Publish) with 1 live subscriber", median[2], publish, "Publish alone"));
                double[] live10 = live(server, publisherChannel, "live10", events, 10);
                rows.add(row("live: each of 10 subscribers (Subscribe), the slowest", live10[1], replay,
                        "Subscribe replay"));
                rows.add(row("live: publishing (Publish) with 10 live subscribers", live10[0], publish, "Publish alone"));
                double[] live1Direct = live(server, publisherChannel, "live1d", events, 1, true);
                rows.add(row("live: 1 subscriber (Subscribe, client on directExecutor)", live1Direct[1], replay,
                        "Subscribe replay"));
                double[] live10Direct = live(server, publisherChannel, "live10d", events, 10, true);
                rows.add(row("live: each of 10 subscribers (Subscribe, directExecutor)", live10Direct[1], replay,
                        "Subscribe replay"));
                rows.add(row("live: 1 subscriber, SubscribeBatch, publishing PublishBatch",
                        deliver(server, publisherChannel, "d1b", events, 1, true), replay, "Subscribe replay"));
                rows.add(row("live: each of 10 subscribers, SubscribeBatch, PublishBatch",
                        deliver(server, publisherChannel, "d10b", events, 10, true), replay, "Subscribe replay"));

                latency(server, publisherChannel, 10_000, 2); // warm-up of this path, not counted
                System.gc(); // the replays above leave much garbage; do not time its collection
                long[] slow = latency(server, publisherChannel, 10_000, latencySeconds);
                long[] fast = latency(server, publisherChannel, 100_000, Math.max(2, latencySeconds / 4));
                publisherChannel.shutdownNow();
                print(events, rows, slow, fast, latencySeconds);
            }
        } finally {
            delete(dir);
        }
    }

    /** The topic that round {@code r} of the paired measures publishes one event per message. */
    private static String topic(int r) {
        return "single" + r;
    }

    /** Rounds of the paired measures (publish alone, replay, live with 1 subscriber). */
    private static final int ROUNDS = 3;

    /** The round whose live-to-replay ratio is the median: {publish alone, replay, publish live, live}. */
    private static double[] medianRound(double[][] rounds) {
        double[][] sorted = rounds.clone();
        Arrays.sort(sorted, Comparator.comparingDouble(r -> r[3] / r[1]));
        return sorted[sorted.length / 2];
    }

    // --- the baseline: the log alone -------------------------------------------------------

    private static double logAppendRate(Path dir, int events) throws IOException {
        Files.createDirectories(dir);
        byte[] bytes = sample("log", 1).get(0).toByteArray();
        try (EventLog log = EventLog.open(LogConfig.of(dir))) {
            long start = System.nanoTime();
            for (int b = 0; b < events; b += BATCH) {
                List<EventToAppend> batch = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    batch.add(new EventToAppend("log", System.currentTimeMillis() * 1_000_000L, bytes));
                }
                log.append(batch);
            }
            return rate(events, System.nanoTime() - start);
        }
    }

    private static double logReadRate(Path dir) {
        try (EventLog log = EventLog.open(LogConfig.of(dir)); LogReader reader = log.readAfter(t -> true, 0)) {
            long start = System.nanoTime();
            long n = 0;
            while (reader.next() != null) {
                n++;
            }
            return rate(n, System.nanoTime() - start);
        }
    }

    // --- publishing ----------------------------------------------------------------------

    static List<EncapsulatedEvent> sample(String topic, int count) {
        byte[] payload = new byte[PAYLOAD];
        Arrays.fill(payload, (byte) 'x');
        EncapsulatedEvent template = EncapsulatedEvent.newBuilder()
                .setTopic(topic)
                .setClientEventTime(Timestamp.newBuilder().setSeconds(1_700_000_000L))
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(payload))))
                .build();
        List<EncapsulatedEvent> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(template);
        }
        return out;
    }

    static void publishSingly(ManagedChannel channel, List<EncapsulatedEvent> events) {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        var stream = (io.grpc.stub.ClientCallStreamObserver<EncapsulatedEvent>)
                ProtobusServiceGrpc.newStub(channel).publish(StatusAnswer.into(answer));
        for (EncapsulatedEvent e : events) {
            while (!stream.isReady()) {
                LockSupport.parkNanos(20_000);
            }
            stream.onNext(e);
        }
        stream.onCompleted();
        answer.join();
    }

    static void publishBatches(ManagedChannel channel, List<EncapsulatedEvent> events) {
        CompletableFuture<Status> answer = new CompletableFuture<>();
        var stream = (io.grpc.stub.ClientCallStreamObserver<EventBatch>)
                ProtobusServiceGrpc.newStub(channel).publishBatch(StatusAnswer.into(answer));
        for (int b = 0; b < events.size(); b += BATCH) {
            while (!stream.isReady()) {
                LockSupport.parkNanos(20_000);
            }
            stream.onNext(EventBatch.newBuilder().addAllEvents(events.subList(b, Math.min(events.size(), b + BATCH))).build());
        }
        stream.onCompleted();
        answer.join();
    }

    // --- subscribing, counting at the wire level -----------------------------------------

    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
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

    /** Events in one received message: 1 for Subscribe, the count of entries for SubscribeBatch. */
    private static int countEvents(byte[] message, boolean batched) {
        if (!batched) {
            return 1;
        }
        try {
            CodedInputStream in = CodedInputStream.newInstance(message);
            int n = 0;
            int tag;
            while ((tag = in.readTag()) != 0) {
                in.skipField(tag);
                n++;
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a subscription that calls {@code onCount} with the running count of events. */
    private static ClientCall<byte[], byte[]> subscribe(ManagedChannel channel, SubscriptionRequest request,
                                                        boolean batched, LongConsumer onCount) {
        MethodDescriptor<?, ?> method = batched ? ProtobusServiceGrpc.getSubscribeBatchMethod()
                : ProtobusServiceGrpc.getSubscribeMethod();
        MethodDescriptor<byte[], byte[]> raw = method.toBuilder(RAW, RAW).build();
        ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT);
        AtomicLong count = new AtomicLong();
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(byte[] message) {
                onCount.accept(count.addAndGet(countEvents(message, batched)));
                call.request(1);
            }
        }, new Metadata());
        call.sendMessage(request.toByteArray());
        call.halfClose();
        call.request(4);
        return call;
    }

    private static double deliver(ProtobusServer server, ManagedChannel publisher, String topic, int events,
                                  int subscribers, boolean batched) throws Exception {
        // One event first, which every subscription gets exactly once (from its history of 1 or
        // live): once all have it, all are live.
        publishSingly(publisher, sample(topic, 1));
        List<ManagedChannel> channels = new ArrayList<>();
        List<ClientCall<byte[], byte[]>> calls = new ArrayList<>();
        CountDownLatch live = new CountDownLatch(subscribers);
        CountDownLatch done = new CountDownLatch(subscribers);
        long[] finished = new long[subscribers];
        for (int s = 0; s < subscribers; s++) {
            ManagedChannel c = channel(server.port());
            channels.add(c);
            int index = s;
            calls.add(subscribe(c, request(1, topic), batched, n -> {
                if (n == 1) {
                    live.countDown();
                }
                if (n == events + 1) {
                    finished[index] = System.nanoTime();
                    done.countDown();
                }
            }));
        }
        if (!live.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("subscriptions did not start");
        }
        List<EncapsulatedEvent> sample = sample(topic, events);
        long start = System.nanoTime();
        publishBatches(publisher, sample);
        if (!done.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("subscribers did not receive every event within 120 s");
        }
        long slowest = Arrays.stream(finished).max().orElseThrow();
        calls.forEach(c -> c.cancel("done", null));
        channels.forEach(ManagedChannel::shutdownNow);
        return rate(events, slowest - start);
    }

    /** A generated-stub {@code Subscribe} call that calls {@code onCount} with the running count of events. */
    static void subscribeStub(ManagedChannel channel, SubscriptionRequest request, LongConsumer onCount,
                                      List<Runnable> cancels) {
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        cancels.add(() -> context.cancel(null));
        context.run(() -> ProtobusServiceGrpc.newStub(channel).subscribe(request, new StreamObserver<>() {
            long count;
            long bytes;

            @Override
            public void onNext(EncapsulatedEvent e) {
                bytes += e.getPayloadSize(); // decoded, as a user's client does
                onCount.accept(++count);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        }));
    }

    /**
     * Publishes {@code events} with {@code Publish} (one per message) while {@code subscribers}
     * generated-stub {@code Subscribe} calls are live; returns {publish rate, delivery rate of the
     * slowest subscriber}.
     */
    private static double[] live(ProtobusServer server, ManagedChannel publisher, String topic, int events,
                                 int subscribers) throws Exception {
        return live(server, publisher, topic, events, subscribers, false);
    }

    /** As above, each subscriber's callbacks on its network thread when {@code direct}. */
    private static double[] live(ProtobusServer server, ManagedChannel publisher, String topic, int events,
                                 int subscribers, boolean direct) throws Exception {
        publishSingly(publisher, sample(topic, 1)); // each gets it (history 1 or live): then all are live
        List<ManagedChannel> channels = new ArrayList<>();
        List<Runnable> cancels = new ArrayList<>();
        CountDownLatch live = new CountDownLatch(subscribers);
        CountDownLatch done = new CountDownLatch(subscribers);
        long[] finished = new long[subscribers];
        for (int s = 0; s < subscribers; s++) {
            ManagedChannel c = channel(server.port(), direct);
            channels.add(c);
            int index = s;
            subscribeStub(c, request(1, topic), n -> {
                if (n == 1) {
                    live.countDown();
                }
                if (n == events + 1) {
                    finished[index] = System.nanoTime();
                    done.countDown();
                }
            }, cancels);
        }
        if (!live.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("subscriptions did not start");
        }
        List<EncapsulatedEvent> sample = sample(topic, events);
        long start = System.nanoTime();
        publishSingly(publisher, sample);
        long published = System.nanoTime();
        if (!done.await(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException("subscribers did not receive every event within 300 s");
        }
        long slowest = Arrays.stream(finished).max().orElseThrow();
        cancels.forEach(Runnable::run);
        channels.forEach(ManagedChannel::shutdownNow);
        return new double[] {rate(events, published - start), rate(events, slowest - start)};
    }

    static double replay(ProtobusServer server, String topic, int events, boolean batched) throws Exception {
        return replay(server, topic, events, batched, false);
    }

    /** As {@link #replay(ProtobusServer, String, int, boolean)}, the client's callbacks on its network thread when {@code direct}. */
    static double replay(ProtobusServer server, String topic, int events, boolean batched, boolean direct)
            throws Exception {
        ManagedChannel channel = channel(server.port(), direct);
        CountDownLatch done = new CountDownLatch(1);
        long start = System.nanoTime();
        List<Runnable> cancels = new ArrayList<>();
        LongConsumer onCount = n -> {
            if (n == events) {
                done.countDown();
            }
        };
        if (batched) {
            ClientCall<byte[], byte[]> call = subscribe(channel, request(events, topic), true, onCount);
            cancels.add(() -> call.cancel("done", null));
        } else {
            subscribeStub(channel, request(events, topic), onCount, cancels);
        }
        if (!done.await(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException("replay did not end within 300 s");
        }
        long elapsed = System.nanoTime() - start;
        cancels.forEach(Runnable::run);
        channel.shutdownNow();
        return rate(events, elapsed);
    }

    /**
     * p50, p99, p99.9, max in microseconds of publish-to-subscriber latency at a steady rate
     * ({@code Publish} and {@code Subscribe} through the generated stubs).
     */
    private static long[] latency(ProtobusServer server, ManagedChannel publisher, int perSecond, int seconds)
            throws Exception {
        ManagedChannel channel = channel(server.port());
        int total = perSecond * seconds;
        long[] latencies = new long[total];
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong received = new AtomicLong();
        CountDownLatch live = new CountDownLatch(1);
        io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
        context.run(() -> ProtobusServiceGrpc.newStub(channel).subscribe(request(0, "latency"), new StreamObserver<>() {
            @Override
            public void onNext(EncapsulatedEvent e) {
                long now = System.nanoTime();
                String sent = e.getTagsOrDefault("t", null);
                if (sent == null) {
                    live.countDown();
                } else {
                    int i = (int) received.getAndIncrement();
                    latencies[i] = now - Long.parseLong(sent);
                    if (i == total - 1) {
                        done.countDown();
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        }));
        while (!live.await(50, TimeUnit.MILLISECONDS)) {
            publishSingly(publisher, sample("latency", 1));
        }
        CompletableFuture<Status> answer = new CompletableFuture<>();
        StreamObserver<EncapsulatedEvent> stream = ProtobusServiceGrpc.newStub(publisher).publish(StatusAnswer.into(answer));
        EncapsulatedEvent template = sample("latency", 1).get(0);
        long interval = 1_000_000_000L / perSecond;
        long next = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait); // not a busy wait: the machine may have 2 cores only
            }
            stream.onNext(template.toBuilder().putTags("t", Long.toString(System.nanoTime())).build());
            next += interval;
        }
        stream.onCompleted();
        answer.join();
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("latency run did not end");
        }
        context.cancel(null);
        channel.shutdownNow();
        Arrays.sort(latencies);
        return new long[] {latencies[total / 2] / 1000, latencies[(int) (total * 0.99)] / 1000,
                latencies[(int) (total * 0.999)] / 1000, latencies[total - 1] / 1000};
    }

    // --- helpers -------------------------------------------------------------------------

    static SubscriptionRequest request(int history, String topic) {
        return SubscriptionRequest.newBuilder().addTopics(topic + "$")
                .setOptions(SubscriptionOptions.newBuilder().setHistoryDepth(history)).build();
    }

    /** A client channel with a network thread of its own, as a client in its own process has. */
    static ManagedChannel channel(int port) {
        return channel(port, false);
    }

    /**
     * A client channel as a user's would be: with grpc-java's default executor for callbacks, or
     * with {@code directExecutor()} (callbacks on the network thread, grpc-java's advice for
     * callbacks that never block). With the default, every message of a {@code Subscribe} costs
     * the client two hand-offs between threads (the network thread hands the message to the
     * executor, whose {@code request(1)} hands the next back), which bounds a per-event
     * subscriber whatever the server does.
     */
    static ManagedChannel channel(int port, boolean direct) {
        NettyChannelBuilder builder = ServerTransport.client(NettyChannelBuilder.forAddress("127.0.0.1", port))
                .usePlaintext().maxInboundMessageSize(64 << 20);
        if (direct) {
            builder.directExecutor();
        }
        return builder.build();
    }

    interface Action {
        void run() throws Exception;
    }

    private static long timed(Action action) throws Exception {
        long start = System.nanoTime();
        action.run();
        return System.nanoTime() - start;
    }

    static double rate(long events, long nanos) {
        return events * 1e9 / nanos;
    }

    private static String[] row(String what, double rate, double baseline, String baselineName) {
        return new String[] {what, String.format("%,.0f", rate), String.format("%.2f", rate / baseline), baselineName};
    }

    private static void print(int events, List<String[]> rows, long[] slow, long[] fast, int seconds) {
        System.out.printf("protobus-server, %,d events of %d-byte payload, %d CPUs, generated stubs on the client side%n%n",
                events, PAYLOAD, Runtime.getRuntime().availableProcessors());
        System.out.printf("| %-60s | %12s | %6s | %-16s |%n", "measure", "events/s", "ratio", "baseline");
        System.out.printf("|%s|%s|%s|%s|%n", "-".repeat(62), "-".repeat(14), "-".repeat(8), "-".repeat(18));
        for (String[] r : rows) {
            System.out.printf("| %-60s | %12s | %6s | %-16s |%n", r[0], r[1], r[2], r[3]);
        }
        System.out.printf("%nlatency publish -> subscriber (Publish, Subscribe) at 10,000 events/s for %d s: "
                + "p50 %d us, p99 %d us, p99.9 %d us, max %d us%n", seconds, slow[0], slow[1], slow[2], slow[3]);
        System.out.printf("latency at 100,000 events/s for %d s: p50 %d us, p99 %d us, p99.9 %d us, max %d us%n",
                Math.max(2, seconds / 4), fast[0], fast[1], fast[2], fast[3]);
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
