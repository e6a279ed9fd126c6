package dev.tailbus.cli;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.StorePattern;
import dev.tailbus.kafka.KafkaSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options that put a command on an Apache Kafka cluster ({@code protobus-server --log kafka},
 * {@code store export}), as a picocli mixin, turned once into {@link KafkaSettings}.
 */
final class KafkaOptions {
    @Option(names = "--kafka-bootstrap", paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "the Kafka cluster's bootstrap servers")
    String bootstrap;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "a Kafka client property, passed to every Kafka client (repeatable; such as "
                    + "security.protocol=SSL); wins over --kafka-properties")
    List<String> properties = new ArrayList<>();

    @Option(names = "--kafka-properties", paramLabel = "FILE",
            description = "a file of Kafka client properties (Java properties format), passed to every Kafka client")
    Path propertiesFile;

    @Option(names = "--kafka-topic-prefix", paramLabel = "PREFIX", defaultValue = KafkaSettings.DEFAULT_PREFIX,
            description = "put before the name of every Kafka topic (default: ${DEFAULT-VALUE})")
    String topicPrefix;

    @Option(names = "--kafka-partitions", paramLabel = "N",
            description = "partitions of the Kafka topics created on first use, 1 to 256 (default: the broker's)")
    Integer partitions;

    @Option(names = "--kafka-replication-factor", paramLabel = "N",
            description = "replication factor of the Kafka topics created on first use (default: the broker's)")
    Short replication;

    @Option(names = "--kafka-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "how long to wait for the cluster at start (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    /** Whether any option of this mixin was given on the command line. */
    static boolean anyGiven(CommandSpec spec) {
        return spec.commandLine().getParseResult().matchedOptions().stream()
                .anyMatch(o -> o.longestName().startsWith("--kafka-"));
    }

    /**
     * The settings these options say, with {@code patterns}.
     *
     * @throws TailbusException BAD_INPUT for a missing bootstrap, a bad property or file
     */
    KafkaSettings settings(List<String> patterns) {
        if (bootstrap == null) {
            throw new TailbusException(Kind.BAD_INPUT, "--kafka-bootstrap HOST:PORT[,HOST:PORT...] is needed");
        }
        Map<String, String> props = new LinkedHashMap<>();
        if (propertiesFile != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(propertiesFile)) {
                p.load(r);
            } catch (IOException e) {
                throw new TailbusException(Kind.BAD_INPUT, "cannot read --kafka-properties " + propertiesFile + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            }
            p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k)));
        }
        for (String kv : properties) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new TailbusException(Kind.BAD_INPUT, "--kafka-property must be KEY=VALUE, got '" + kv + "'");
            }
            props.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
        }
        if (timeoutSeconds < 1) {
            throw new TailbusException(Kind.BAD_INPUT, "--kafka-timeout must be at least 1 second, got " + timeoutSeconds);
        }
        List<StorePattern> parsed = new ArrayList<>();
        for (String p : patterns) {
            parsed.add(StorePattern.parse(p));
        }
        return KafkaSettings.of(bootstrap, parsed)
                .withProperties(props)
                .withTopicPrefix(topicPrefix)
                .withTopicLayout(Optional.ofNullable(partitions), Optional.ofNullable(replication))
                .withStartTimeout(Duration.ofSeconds(timeoutSeconds));
    }
}
