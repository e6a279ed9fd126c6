package dev.tailbus.cli;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.kafka.KafkaLog;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code protobus-server --log kafka}: checks that no option of the local store is given beside
 * it, and opens the Kafka log; without it, refuses the Kafka options.
 */
final class KafkaGateway {
    /** The options that only a store of files has. */
    private static final List<String> LOCAL_ONLY = List.of("--store-root", "--flush", "--rotate-at", "--rotate-size",
            "--retain-age", "--retain-size");

    /** Held so that the level set on it stays (java.util.logging keeps loggers weakly). */
    private static final java.util.logging.Logger KAFKA_CLIENTS = java.util.logging.Logger.getLogger("org.apache.kafka");

    private KafkaGateway() {
    }

    /**
     * The Kafka clients log every connection attempt; they speak on stderr only of errors (the
     * gateway says itself what is wrong), unless {@code debug}.
     */
    static void quietClients(boolean debug) {
        KAFKA_CLIENTS.setLevel(debug ? java.util.logging.Level.FINE : java.util.logging.Level.SEVERE);
    }

    /**
     * The Kafka log when {@code onKafka}, else null (the server opens its files).
     *
     * @throws TailbusException BAD_INPUT for options that do not go together, UNAVAILABLE when the
     *                          cluster cannot be reached
     */
    static BusLog open(boolean onKafka, CommandSpec spec, KafkaOptions kafka, List<String> patterns) {
        if (!onKafka) {
            if (KafkaOptions.anyGiven(spec)) {
                throw new TailbusException(Kind.BAD_INPUT, "the --kafka-* options need --log kafka");
            }
            return null;
        }
        for (String option : LOCAL_ONLY) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new TailbusException(Kind.BAD_INPUT, option + " is an option of the local store, not of --log kafka");
            }
        }
        quietClients(java.util.logging.Logger.getLogger("dev.tailbus.protobus").isLoggable(java.util.logging.Level.FINE));
        return KafkaLog.open(kafka.settings(patterns));
    }
}
