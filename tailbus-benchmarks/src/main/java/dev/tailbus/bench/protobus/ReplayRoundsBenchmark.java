package dev.tailbus.bench.protobus;

import dev.tailbus.bench.Table;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The spread between rounds of one history replay: the same stored events replayed again and
 * again through the generated stub's {@code Subscribe} (one event per message), each round beside
 * a {@code SubscribeBatch} replay of the same events in the same round as its baseline, and the
 * pauses of more than 1 ms the subscriber saw. Odd rounds replay a topic stored first in batches,
 * even ones a topic just published one event per message. A steady server shows rounds alike and
 * no pauses; a stalling one shows some rounds many times slower than others. Each round also
 * replays through a client whose callbacks run on its network thread ({@code directExecutor()}):
 * the default executor costs the client two thread hand-offs a message, the direct one none.
 *
 * <p>Usage: {@code bin/tailbus-bench protobus.ReplayRoundsBenchmark [EVENTS [ROUNDS]]} (default
 * 300,000 and 10).
 */
public final class ReplayRoundsBenchmark {
    private ReplayRoundsBenchmark() {
    }

    /** Pauses of more than 1 ms between two events at the subscriber. */
    private static final class Gaps {
        private static final long PAUSE = 1_000_000;
        private long last = System.nanoTime();
        int count;
        long total;
        long longest;

        void event() {
            long now = System.nanoTime();
            long gap = now - last;
            last = now;
            if (gap > PAUSE) {
                count++;
                total += gap;
                longest = Math.max(longest, gap);
            }
        }
    }

    /** A generated-stub {@code Subscribe} replay of {@code events}; its rate, its pauses into {@code gaps}. */
    private static double replay(ProtobusServer server, String topic, int events, Gaps gaps) throws Exception {
        ManagedChannel channel = ProtobusBenchmark.channel(server.port());
        CountDownLatch done = new CountDownLatch(1);
        List<Runnable> cancels = new ArrayList<>();
        long start = System.nanoTime();
        gaps.last = start;
        ProtobusBenchmark.subscribeStub(channel, ProtobusBenchmark.request(events, topic), n -> {
            gaps.event();
            if (n == events) {
                done.countDown();
            }
        }, cancels);
        if (!done.await(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException("replay did not end within 300 s");
        }
        long elapsed = System.nanoTime() - start;
        cancels.forEach(Runnable::run);
        channel.shutdownNow();
        return ProtobusBenchmark.rate(events, elapsed);
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 300_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "tailbus-replay-rounds");
        try {
            ProtobusServerConfig config = new ProtobusServerConfig(new ListenAddress("127.0.0.1", 0),
                    LogConfig.of(dir), 101, ProtobusServerConfig.DEFAULT_MAX_EVENT_BYTES,
                    java.time.InstantSource.system());
            try (ProtobusServer server = ProtobusServer.start(ServerTransport.builder(0), config)) {
                ManagedChannel publisher = ProtobusBenchmark.channel(server.port());
                ProtobusBenchmark.publishBatches(publisher, ProtobusBenchmark.sample("r", events));
                ProtobusBenchmark.replay(server, "r", events, false); // warm-up, not counted
                ProtobusBenchmark.replay(server, "r", events, true);
                Table table = new Table("round", "stored by", "Subscribe replay, events/s", "pauses > 1 ms",
                        "time in them, ms", "longest, ms", "Subscribe, client on directExecutor, events/s",
                        "SubscribeBatch replay, events/s", "ratio");
                double[] single = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    // even rounds (counted from 1) replay a topic just published one event per message (as the main
                    // benchmark does), odd rounds the topic stored first in batches
                    String topic = "r";
                    if (r % 2 == 1) {
                        topic = "fresh" + r;
                        ProtobusBenchmark.publishSingly(publisher, ProtobusBenchmark.sample(topic, events));
                    }
                    Gaps gaps = new Gaps();
                    single[r] = replay(server, topic, events, gaps);
                    double direct = ProtobusBenchmark.replay(server, topic, events, false, true);
                    double batch = ProtobusBenchmark.replay(server, topic, events, true);
                    table.row(r + 1, r % 2 == 1 ? "Publish, just now" : "PublishBatch", Table.rate(single[r]),
                            gaps.count, gaps.total / 1_000_000, String.format("%.1f", gaps.longest / 1e6),
                            Table.rate(direct), Table.rate(batch), String.format("%.2f", single[r] / batch));
                    System.out.printf("round %d: Subscribe %,.0f/s (%d pauses > 1 ms, %d ms in them), "
                            + "on directExecutor %,.0f/s, SubscribeBatch %,.0f/s%n", r + 1, single[r], gaps.count,
                            gaps.total / 1_000_000, direct, batch);
                }
                publisher.shutdownNow();
                double[] sorted = single.clone();
                Arrays.sort(sorted);
                System.out.printf("%nhistory replay of %,d stored events, %d rounds, %d CPUs%n%n", events, rounds,
                        Runtime.getRuntime().availableProcessors());
                System.out.print(table.render());
                System.out.printf("%nSubscribe replay: slowest %,.0f, median %,.0f, fastest %,.0f events/s "
                        + "(slowest / fastest %.2f)%n", sorted[0], sorted[rounds / 2], sorted[rounds - 1],
                        sorted[0] / sorted[rounds - 1]);
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
