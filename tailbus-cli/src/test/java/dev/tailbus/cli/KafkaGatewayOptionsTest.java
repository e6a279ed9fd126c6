package dev.tailbus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tailbus.kafka.KafkaSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code protobus-server --log kafka} refuses what only a store of files has, before it looks for a cluster. */
class KafkaGatewayOptionsTest {
    record Outcome(int status, String stderr) {
    }

    /** The command run in this JVM, as {@link Tailbus#run} runs it, with its standard error kept. */
    static Outcome run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine line = Tailbus.commandLine(List.of("protobus-server"));
        line.setErr(new PrintWriter(err, true));
        line.setExecutionExceptionHandler((e, cmd, parsed) -> Tailbus.failure(e, cmd.getCommandSpec().qualifiedName(),
                cmd.getErr()));
        int status = line.execute(args);
        return new Outcome(status, err.toString());
    }

    @Test
    void shouldRefuseEveryOptionOfTheLocalStoreWithLogKafkaAsAUsageErrorOfOneLine() {
        List<List<String>> local = List.of(List.of("--store-root", "/tmp"), List.of("--flush", "batch"),
                List.of("--rotate-at", "00:00"), List.of("--rotate-size", "1M"), List.of("--retain-age", "7d"),
                List.of("--retain-size", "1G"));
        for (List<String> option : local) {
            List<String> args = new ArrayList<>(List.of("protobus-server", "--address", "127.0.0.1:0", "--log", "kafka",
                    "--kafka-bootstrap", "127.0.0.1:1"));
            args.addAll(option);
            Outcome out = run(args.toArray(String[]::new));
            assertThat(out.status()).as("%s", option).isEqualTo(2);
            assertThat(out.stderr().strip().lines()).as("%s", option).containsExactly(
                    "tailbus protobus-server: " + option.get(0) + " is an option of the local store, not of --log kafka");
        }
    }

    @Test
    void shouldRefuseKafkaOptionsWithoutLogKafka() {
        Outcome out = run("protobus-server", "--address", "127.0.0.1:0", "--kafka-bootstrap", "127.0.0.1:1");
        assertThat(out.status()).isEqualTo(2);
        assertThat(out.stderr().strip().lines()).containsExactly(
                "tailbus protobus-server: the --kafka-* options need --log kafka");
    }

    @Test
    void shouldPassAPropertiesFileAndRepeatedPropertiesToTheKafkaClientsTheRepeatedOnesWinning(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("client.properties");
        Files.writeString(file, "security.protocol=SSL\nacks=1\n");
        KafkaOptions options = new KafkaOptions();
        new CommandLine(new Object() {
            @CommandLine.Mixin
            KafkaOptions kafka = options;
        }).parseArgs("--kafka-bootstrap", "k1:9092,k2:9092", "--kafka-properties", file.toString(),
                "--kafka-property", "acks=all", "--kafka-property", "sasl.jaas.config=a=b");
        KafkaSettings settings = options.settings(List.of("{topic}:.*"));
        assertThat(settings.bootstrap()).isEqualTo("k1:9092,k2:9092");
        assertThat(settings.properties()).containsEntry("security.protocol", "SSL").containsEntry("acks", "all")
                .containsEntry("sasl.jaas.config", "a=b");
    }
}
