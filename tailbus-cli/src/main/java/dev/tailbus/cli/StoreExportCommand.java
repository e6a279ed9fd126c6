package dev.tailbus.cli;

import dev.tailbus.kafka.KafkaExport;
import dev.tailbus.kafka.KafkaLog;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tailbus store export}: copies a local store into an Apache Kafka cluster, in the layout
 * of {@code protobus-server --log kafka} with the same {@code --store-pattern}s; run again, it
 * copies only what is not there yet.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Copy every stored event, in position order and with its receive time, into the Kafka "
                + "topics that protobus-server --log kafka would use with the same --store-pattern options. "
                + "Run again, it continues where the last run stopped and adds nothing twice."})
final class StoreExportCommand implements Callable<Integer> {
    @ParentCommand
    StoreCommand parent;

    @Mixin
    KafkaOptions kafka;

    @Override
    public Integer call() throws IOException {
        java.nio.file.Path root = parent.root();
        KafkaGateway.quietClients(System.getenv("TAILBUS_DEBUG") != null);
        try (KafkaLog log = KafkaLog.open(kafka.settings(parent.storePatterns))) {
            KafkaExport.Result r = KafkaExport.run(root, log);
            System.out.println("exported " + r.events() + " events: " + r.copied() + " records copied, " + r.skipped()
                    + " already there (" + log.describe() + ")");
        }
        return 0;
    }
}
