package dev.tailbus.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.core.log.StorePattern;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KafkaClientsTest {
    @Test
    void shouldWaitForEveryInSyncReplicaWithAnIdempotentProducerUnlessTheUserSaysOtherwise() {
        KafkaSettings settings = KafkaSettings.of("127.0.0.1:1", List.of(StorePattern.parse("{topic}:.*")));
        Map<String, Object> defaults = new KafkaClients(settings).producerProperties();
        assertThat(defaults).containsEntry("acks", "all").containsEntry("enable.idempotence", true)
                .containsEntry("bootstrap.servers", "127.0.0.1:1");

        Map<String, Object> overridden = new KafkaClients(settings.withProperties(Map.of("acks", "1",
                "security.protocol", "SSL"))).producerProperties();
        assertThat(overridden).containsEntry("acks", "1").containsEntry("security.protocol", "SSL")
                .containsEntry("enable.idempotence", true);
    }
}
