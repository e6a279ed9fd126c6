package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.StoreInspector;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

/**
 * Copies a local store into a Kafka log's layout ({@code tailbus store export}): every stored
 * event in position order, to the Kafka topics its store patterns name, with its receive time as
 * the record's timestamp and its stored bytes (which carry its local position, field 100) as the
 * value.
 *
 * <p>Run again (after an interruption, or after new events), it continues without duplicates:
 * each partition is filled in local position order, so the last record of a partition that
 * carries a local position says how far the copy into it went; events at or below it are
 * skipped. Events without a position (files written by the reference) are copied only into a
 * partition that holds no copied event yet.
 *
 * <p>Not thread-safe: one export at a time per log.
 */
public final class KafkaExport {
    /** Records scanned back from a partition's end per step while looking for the last copy. */
    private static final int WINDOW = 512;

    /** What an export did. */
    public record Result(long events, long copied, long skipped) {
    }

    private final KafkaLog log;
    private final Map<String, Integer> partitionCounts = new HashMap<>();
    private final Map<TopicPartition, Long> copiedUpTo = new HashMap<>();
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();
    private long events;
    private long copied;
    private long skipped;

    private KafkaExport(KafkaLog log) {
        this.log = log;
    }

    /**
     * Copies the store at {@code root} into {@code log}'s cluster; returns when Kafka acknowledged
     * every copied event.
     *
     * @throws KafkaLogException UNAVAILABLE when Kafka does not acknowledge
     * @throws IOException when the store cannot be read
     */
    public static Result run(Path root, KafkaLog log) throws IOException {
        KafkaExport export = new KafkaExport(log);
        export.findCopies();
        StoreInspector.dump(root, t -> true, 0, (e, file, offset) -> export.copy(e.position(), e.topic(),
                e.receiveTimeNanos(), e.event()));
        export.awaitPending();
        log.producer().flush();
        return new Result(export.events, export.copied, export.skipped);
    }

    /** For every partition there is: the local position of its last copied event (absent: none). */
    private void findCopies() {
        EventWire.Fields fields = new EventWire.Fields();
        Map<TopicPartition, Long> begins = new HashMap<>();
        List<TopicPartition> partitions = log.dataPartitions(name -> true);
        Map<TopicPartition, Long> ends = log.endOffsets(partitions, begins);
        for (TopicPartition tp : partitions) {
            long hi = ends.getOrDefault(tp, 0L);
            long begin = begins.getOrDefault(tp, 0L);
            long[] last = {-1};
            while (hi > begin && last[0] < 0) {
                long lo = Math.max(begin, hi - WINDOW);
                log.catalog().scan(Map.of(tp, lo), Map.of(tp, hi), r -> {
                    if (r.value() != null && EventWire.parse(r.value(), 0, r.value().length, fields)
                            && fields.position >= 0) {
                        last[0] = Math.max(last[0], fields.position);
                    }
                });
                hi = lo;
            }
            if (last[0] >= 0) {
                copiedUpTo.put(tp, last[0]);
            }
        }
    }

    private void copy(long position, String topic, long receiveNanos, byte[] event) {
        events++;
        byte[] key = topic.getBytes(StandardCharsets.UTF_8);
        List<String> names = log.router().kafkaTopicsFor(topic);
        log.ensureTopics(names);
        for (String name : names) {
            int partition = Utils.toPositive(Utils.murmur2(key)) % partitions(name);
            Long upTo = copiedUpTo.get(new TopicPartition(name, partition));
            if (upTo != null && (position <= 0 || position <= upTo)) {
                skipped++;
                continue;
            }
            pending.add(log.producer().send(new ProducerRecord<>(name, partition,
                    Math.floorDiv(receiveNanos, 1_000_000L), key, event)));
            copied++;
        }
        if (pending.size() >= 10_000) {
            awaitPending();
        }
    }

    /** Kafka's default partitioner, written out so that the partition is known before sending. */
    private int partitions(String name) {
        Integer n = partitionCounts.get(name);
        if (n == null) {
            List<PartitionInfo> info = log.producer().partitionsFor(name);
            n = info.size();
            partitionCounts.put(name, n);
        }
        return n;
    }

    private void awaitPending() {
        try {
            for (Future<RecordMetadata> f : pending) {
                f.get(5, TimeUnit.MINUTES);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "Kafka did not acknowledge a copied event: "
                    + KafkaLogException.reason(e) + "; run the export again to continue", null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted; run the export again to continue");
        }
        pending.clear();
    }
}
