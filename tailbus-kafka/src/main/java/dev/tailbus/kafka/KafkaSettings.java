package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.StorePattern;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a {@link KafkaLog} needs, validated once: the cluster, the client properties passed
 * through to every Kafka client (security and the like), the store patterns (the same on every
 * gateway of a cluster), and how Kafka topics are named and created.
 *
 * @param bootstrap         {@code HOST:PORT[,HOST:PORT...]}
 * @param properties        Kafka client properties, passed through (they win over tailbus's defaults)
 * @param patterns          the store patterns, in order; none: {@value StorePattern#DEFAULT}
 * @param topicPrefix       put before every Kafka topic name (see {@link KafkaTopicNames})
 * @param partitions        partitions of a Kafka topic tailbus creates (empty: the broker's default)
 * @param replication       its replication factor (empty: the broker's default)
 * @param startTimeout      how long to wait for the cluster at start, and for a topic's creation
 */
public record KafkaSettings(String bootstrap, Map<String, String> properties, List<StorePattern> patterns,
                            String topicPrefix, Optional<Integer> partitions, Optional<Short> replication,
                            Duration startTimeout) {
    /** The default topic prefix. */
    public static final String DEFAULT_PREFIX = "tailbus-";

    public KafkaSettings {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new KafkaLogException(Kind.BAD_INPUT, "--kafka-bootstrap needs HOST:PORT[,HOST:PORT...]");
        }
        for (String server : bootstrap.split(",")) {
            int colon = server.trim().lastIndexOf(':');
            if (colon <= 0 || !server.trim().substring(colon + 1).matches("[0-9]{1,5}")) {
                throw new KafkaLogException(Kind.BAD_INPUT, "--kafka-bootstrap needs HOST:PORT[,HOST:PORT...], got '"
                        + bootstrap + "'");
            }
        }
        properties = Map.copyOf(new TreeMap<>(Objects.requireNonNull(properties, "properties")));
        patterns = patterns == null || patterns.isEmpty() ? List.of(StorePattern.parse(StorePattern.DEFAULT))
                : List.copyOf(patterns);
        KafkaTopicNames.checkPrefix(topicPrefix);
        Objects.requireNonNull(partitions, "partitions");
        Objects.requireNonNull(replication, "replication");
        if (partitions.isPresent() && (partitions.get() < 1 || partitions.get() > Positions.MAX_PARTITIONS)) {
            throw new KafkaLogException(Kind.BAD_INPUT, "--kafka-partitions must be 1 to " + Positions.MAX_PARTITIONS
                    + ", got " + partitions.get());
        }
        if (replication.isPresent() && replication.get() < 1) {
            throw new KafkaLogException(Kind.BAD_INPUT, "--kafka-replication-factor must be at least 1, got "
                    + replication.get());
        }
        if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
            throw new KafkaLogException(Kind.BAD_INPUT, "--kafka-timeout must be positive");
        }
    }

    /** Defaults for everything but the cluster and the patterns. */
    public static KafkaSettings of(String bootstrap, List<StorePattern> patterns) {
        return new KafkaSettings(bootstrap, Map.of(), patterns, DEFAULT_PREFIX, Optional.empty(), Optional.empty(),
                Duration.ofSeconds(10));
    }

    /** This with other client properties. */
    public KafkaSettings withProperties(Map<String, String> more) {
        Map<String, String> all = new TreeMap<>(properties);
        all.putAll(more);
        return new KafkaSettings(bootstrap, all, patterns, topicPrefix, partitions, replication, startTimeout);
    }

    /** This with another topic prefix. */
    public KafkaSettings withTopicPrefix(String prefix) {
        return new KafkaSettings(bootstrap, properties, patterns, prefix, partitions, replication, startTimeout);
    }

    /** This creating topics with these partitions and replication factor (empty: the broker's). */
    public KafkaSettings withTopicLayout(Optional<Integer> count, Optional<Short> factor) {
        return new KafkaSettings(bootstrap, properties, patterns, topicPrefix, count, factor, startTimeout);
    }

    /** This waiting so long for the cluster at start. */
    public KafkaSettings withStartTimeout(Duration timeout) {
        return new KafkaSettings(bootstrap, properties, patterns, topicPrefix, partitions, replication, timeout);
    }
}
