package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads fixed ranges of offsets, {@code [from, to)} per partition, with an assigned consumer: the
 * one way the log reads what is already there (statistics, history, export's check of what was
 * copied). Gives up with UNAVAILABLE when the cluster does not answer within the timeout.
 *
 * <p>Stateless; the consumer is the caller's, used by one thread at a time.
 */
final class RangeScan {
    private RangeScan() {
    }

    static void scan(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> from,
                     Map<TopicPartition, Long> to, Duration timeout, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> e : from.entrySet()) {
            Long end = to.get(e.getKey());
            if (end != null && end > e.getValue()) {
                ends.put(e.getKey(), end);
            }
        }
        if (ends.isEmpty()) {
            return;
        }
        consumer.assign(new ArrayList<>(ends.keySet()));
        for (TopicPartition tp : ends.keySet()) {
            consumer.seek(tp, from.get(tp));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (!ends.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaLogException(Kind.UNAVAILABLE, "cannot read " + ends.keySet() + " within "
                            + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    Long end = ends.get(tp);
                    if (end != null && r.offset() < end) {
                        each.accept(r);
                    }
                }
                List<TopicPartition> done = new ArrayList<>();
                for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
                    if (consumer.position(e.getKey(), timeout) >= e.getValue()) {
                        done.add(e.getKey());
                    }
                }
                done.forEach(ends::remove);
                if (!done.isEmpty()) {
                    consumer.pause(done);
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot read from Kafka: " + KafkaLogException.reason(e),
                    null, e);
        } finally {
            consumer.assign(List.of());
        }
    }
}
