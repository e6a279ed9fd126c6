package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException;

/**
 * The Kafka log's domain exception: bad settings or a start the log cannot honour
 * ({@link Kind#BAD_INPUT}), a cluster that cannot be reached or did not acknowledge
 * ({@link Kind#UNAVAILABLE}), with the Kafka topic it is about when there is one.
 */
public final class KafkaLogException extends TailbusException {
    private final String kafkaTopic;

    public KafkaLogException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public KafkaLogException(Kind kind, String message, String kafkaTopic, Throwable cause) {
        super(kind, message, cause);
        this.kafkaTopic = kafkaTopic;
    }

    /** The Kafka topic this is about, or null. */
    public String kafkaTopic() {
        return kafkaTopic;
    }

    /** The innermost message of a Kafka client failure, for one line. */
    static String reason(Throwable t) {
        Throwable root = t;
        while ((root instanceof java.util.concurrent.ExecutionException
                || root instanceof java.util.concurrent.CompletionException) && root.getCause() != null) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return m == null ? root.getClass().getSimpleName() : m;
    }
}
