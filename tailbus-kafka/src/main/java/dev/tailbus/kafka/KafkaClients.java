package dev.tailbus.kafka;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Makes the Kafka clients of one log from its settings: tailbus's defaults (an idempotent
 * producer that waits for every in-sync replica, bounded timeouts, consumers without a group
 * that read only committed data), then the user's properties over them.
 *
 * <p>Thread-safe.
 */
final class KafkaClients {
    private static final AtomicInteger IDS = new AtomicInteger();
    private final KafkaSettings settings;

    KafkaClients(KafkaSettings settings) {
        this.settings = settings;
    }

    KafkaSettings settings() {
        return settings;
    }

    private Map<String, Object> common(String role) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", settings.bootstrap());
        p.put("client.id", "tailbus-" + role + "-" + IDS.incrementAndGet());
        p.put("request.timeout.ms", 10_000);
        p.put("default.api.timeout.ms", 15_000);
        p.put("reconnect.backoff.max.ms", 1000);
        p.put("metadata.max.age.ms", 30_000);
        return p;
    }

    KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The producer's properties: acknowledged by every in-sync replica, idempotent, then the user's. */
    Map<String, Object> producerProperties() {
        Map<String, Object> p = common("producer");
        p.put("acks", "all");
        p.put("enable.idempotence", true);
        p.put("linger.ms", 1);
        p.put("batch.size", 256 * 1024);
        p.put("delivery.timeout.ms", 30_000);
        p.put("max.block.ms", 15_000);
        p.put("compression.type", "none");
        p.putAll(settings.properties());
        return p;
    }

    KafkaConsumer<byte[], byte[]> consumer(String role) {
        return consumer(role, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * A consumer whose keys and values are views of the fetched bytes (Kafka's responses are not
     * reused: a view stays valid), not copies: a subscription writes each value once, into its
     * message.
     */
    KafkaConsumer<ByteBuffer, ByteBuffer> viewConsumer(String role) {
        return consumer(role, new ByteBufferDeserializer(), new ByteBufferDeserializer());
    }

    private <K, V> KafkaConsumer<K, V> consumer(String role, Deserializer<K> keys, Deserializer<V> values) {
        Map<String, Object> p = common(role);
        p.put("enable.auto.commit", false);
        p.put("auto.offset.reset", "earliest");
        p.put("isolation.level", "read_committed");
        p.put("fetch.max.wait.ms", 100);
        p.put("max.poll.records", 2000);
        p.putAll(settings.properties());
        p.remove("group.id"); // partitions are assigned, never a group's
        return new KafkaConsumer<>(p, keys, values);
    }

    Admin admin() {
        Map<String, Object> p = common("admin");
        p.putAll(settings.properties());
        return Admin.create(p);
    }
}
