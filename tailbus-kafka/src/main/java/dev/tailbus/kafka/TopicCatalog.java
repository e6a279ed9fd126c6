package dev.tailbus.kafka;

import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.TopicStats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * What the cluster holds per protobus topic (for {@code tailbus topics}, and to know where each
 * topic lives for history): counts, bytes, first and last position and time, learnt by reading
 * the home copies of every data topic once and then only what was added since the last look.
 *
 * <p>Design note: Kafka knows offsets, not protobus topics, and a Kafka topic of a pattern
 * without {@code {topic}} holds many; so the catalog reads records (the first look at a big
 * cluster reads it all), keeping only a few numbers per topic. Records that retention deleted
 * stay counted.
 *
 * <p>Thread-safe: one lock around the catalog's consumer.
 */
final class TopicCatalog implements AutoCloseable {
    /** The numbers of one topic, and the partition that is its home. */
    static final class Entry {
        final String topic;
        final TopicPartition home;
        long events;
        long bytes;
        long firstPosition;
        long lastPosition;
        long firstTime;
        long lastTime;

        Entry(String topic, TopicPartition home) {
            this.topic = topic;
            this.home = home;
        }

        TopicStats stats() {
            return new TopicStats(topic, events, bytes, firstPosition, lastPosition, firstTime, lastTime);
        }
    }

    private final KafkaLog log;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<TopicPartition, Long> scanned = new HashMap<>();
    private final Map<String, Entry> entries = new TreeMap<>();

    TopicCatalog(KafkaLog log, KafkaConsumer<byte[], byte[]> consumer) {
        this.log = log;
        this.consumer = consumer;
    }

    /** Reads what was added since the last look; then the catalog stands at {@link #scanned()}. */
    synchronized void refresh() {
        Map<TopicPartition, Long> begins = new HashMap<>();
        Map<TopicPartition, Long> ends = log.endOffsets(log.dataPartitions(name -> true), begins);
        Map<TopicPartition, Long> from = new HashMap<>();
        for (TopicPartition tp : ends.keySet()) {
            from.put(tp, Math.max(scanned.getOrDefault(tp, 0L), begins.getOrDefault(tp, 0L)));
        }
        EventWire.Fields fields = new EventWire.Fields();
        Map<TopicPartition, Long> bases = new HashMap<>();
        RangeScan.scan(consumer, from, ends, Duration.ofSeconds(60), r -> {
            if (r.key() == null || r.value() == null) {
                return;
            }
            String topic = new String(r.key(), StandardCharsets.UTF_8);
            if (!log.router().isHome(r.topic(), topic)) {
                return;
            }
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            long base = bases.computeIfAbsent(tp, log::base);
            long position = Positions.of(base, r.offset());
            long time = EventWire.parse(r.value(), 0, r.value().length, fields) && fields.receiveTimeNanos != 0
                    ? fields.receiveTimeNanos : r.timestamp() * 1_000_000L;
            Entry e = entries.computeIfAbsent(topic, t -> new Entry(t, tp));
            if (e.events == 0) {
                e.firstPosition = position;
                e.firstTime = time;
            }
            e.events++;
            e.bytes += r.value().length;
            e.lastPosition = position;
            e.lastTime = time;
        });
        scanned.putAll(ends);
    }

    /** Where the last {@link #refresh()} stopped, per partition. */
    synchronized Map<TopicPartition, Long> scanned() {
        return new HashMap<>(scanned);
    }

    /** The topics seen so far, sorted. */
    synchronized List<TopicStats> stats() {
        List<TopicStats> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            out.add(e.stats());
        }
        return out;
    }

    /** Topic to home partition and count, of the topics seen so far. */
    synchronized Map<String, Entry> entries() {
        Map<String, Entry> copy = new TreeMap<>();
        for (Entry e : entries.values()) {
            Entry c = new Entry(e.topic, e.home);
            c.events = e.events;
            copy.put(e.topic, c);
        }
        return copy;
    }

    /** Reads {@code [from, to)} of partitions with the catalog's consumer (history). */
    synchronized void scan(Map<TopicPartition, Long> from, Map<TopicPartition, Long> to,
                           java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        RangeScan.scan(consumer, from, to, Duration.ofSeconds(60), each);
    }

    @Override
    public synchronized void close() {
        consumer.close(Duration.ofSeconds(1));
    }
}
