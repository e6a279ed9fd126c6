package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The registry that gives every data topic of a cluster a small number, its code in
 * {@link Positions}: the one-partition topic {@link KafkaTopicNames#codesTopic()} holds records
 * whose key is a Kafka topic name (value empty), and a name's code is the offset of its first
 * record + 1. Every gateway reads the same records in the same order, so all agree on every code
 * without talking to each other; a gateway that needs a code for a new name appends the name and
 * reads until it sees it (two gateways racing both append; the first record wins).
 *
 * <p>Thread-safe: one lock around the registry's consumer.
 */
final class PositionCodes implements AutoCloseable {
    private final TopicPartition partition;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Duration timeout;
    private final Map<String, Integer> codes = new HashMap<>();
    private final Map<Integer, String> names = new HashMap<>();

    PositionCodes(String codesTopic, KafkaConsumer<byte[], byte[]> consumer, KafkaProducer<byte[], byte[]> producer,
                  Duration timeout) {
        this.partition = new TopicPartition(codesTopic, 0);
        this.consumer = consumer;
        this.producer = producer;
        this.timeout = timeout;
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /** The code of a data topic, registering it if it has none. */
    synchronized int codeOf(String kafkaTopic) {
        Integer code = codes.get(kafkaTopic);
        if (code != null) {
            return code;
        }
        catchUp();
        code = codes.get(kafkaTopic);
        if (code != null) {
            return code;
        }
        try {
            producer.send(new ProducerRecord<>(partition.topic(), 0, kafkaTopic.getBytes(StandardCharsets.UTF_8),
                    new byte[0])).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot register " + kafkaTopic + " in " + partition.topic()
                    + ": " + KafkaLogException.reason(e), kafkaTopic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while registering " + kafkaTopic);
        }
        catchUp();
        code = codes.get(kafkaTopic);
        if (code == null) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "registered " + kafkaTopic + " but did not read it back from "
                    + partition.topic(), kafkaTopic, null);
        }
        return code;
    }

    /** The data topic of a code, or null when the registry has no such code. */
    synchronized String nameOf(int code) {
        String name = names.get(code);
        if (name == null) {
            catchUp();
            name = names.get(code);
        }
        return name;
    }

    /** Reads the registry up to its end now. */
    private void catchUp() {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new KafkaLogException(Kind.UNAVAILABLE, "cannot read " + partition.topic() + " within "
                            + timeout.toSeconds() + " s");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (r.key() == null) {
                        continue; // not written by tailbus
                    }
                    String name = new String(r.key(), StandardCharsets.UTF_8);
                    if (!codes.containsKey(name)) {
                        long code = r.offset() + 1;
                        if (code > Positions.MAX_CODE) {
                            throw new KafkaLogException(Kind.UNAVAILABLE, partition.topic() + " holds more than "
                                    + Positions.MAX_CODE + " topics, the most positions can name");
                        }
                        codes.put(name, (int) code);
                        names.put((int) code, name);
                    }
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot read " + partition.topic() + ": "
                    + KafkaLogException.reason(e), partition.topic(), e);
        }
    }

    @Override
    public synchronized void close() {
        consumer.close(Duration.ofSeconds(1));
    }
}
