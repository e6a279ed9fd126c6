package dev.tailbus.core.log;

/**
 * Hears how long the log's writes take, for whoever watches a running store (a metrics
 * exporter): the log calls it, knowing nothing of what is done with the figures.
 *
 * <p>Threading: called on the appending thread that holds the append lock, or on the periodic
 * flusher's thread; implementations must be quick and thread-safe, and must not call back into
 * the log.
 */
public interface LogObserver {
    /** Hears nothing: the default. */
    LogObserver NONE = new LogObserver() {
    };

    /**
     * A group of batches was written (and, with {@link FlushPolicy#BATCH}, forced), just before
     * it becomes visible.
     *
     * @param events the events written
     * @param nanos  how long writing the group took, forcing included
     */
    default void written(int events, long nanos) {
    }

    /** The live segments touched were forced to disk (fsync); {@code nanos} is how long that took. */
    default void forced(long nanos) {
    }
}
