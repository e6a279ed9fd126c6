package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.LogConfig;
import java.time.InstantSource;
import java.util.Objects;

/**
 * What a protobus server needs, validated once.
 *
 * @param address       where to listen
 * @param log           the store: root, patterns, rotation, retention, flush policy
 * @param maxThreads    publishers and subscriptions served at once (the reference's
 *                      {@code --max-threads}); calls beyond get RESOURCE_EXHAUSTED
 * @param maxEventBytes the largest serialized event accepted; larger ones get RESOURCE_EXHAUSTED
 * @param clock         the source of {@code server_receive_time}
 */
public record ProtobusServerConfig(ListenAddress address, LogConfig log, int maxThreads, int maxEventBytes,
                                   InstantSource clock) {
    /** The reference's default for {@code --max-threads}. */
    public static final int DEFAULT_MAX_THREADS = 101;
    /** The default event size limit: gRPC's default message size limit, 4 MiB. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 4 << 20;
    /** The largest event size limit that can be configured. */
    public static final int MAX_EVENT_BYTES_LIMIT = 1 << 30;

    public ProtobusServerConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(clock, "clock");
        if (maxThreads < 1) {
            throw new ProtobusException(Kind.BAD_INPUT, "--max-threads must be at least 1, got " + maxThreads);
        }
        if (maxEventBytes < 64 || maxEventBytes > MAX_EVENT_BYTES_LIMIT) {
            throw new ProtobusException(Kind.BAD_INPUT, "--max-event-size must be 64 bytes to 1 GiB, got " + maxEventBytes);
        }
    }

    /** Defaults for everything but the address and the store. */
    public static ProtobusServerConfig of(ListenAddress address, LogConfig log) {
        return new ProtobusServerConfig(address, log, DEFAULT_MAX_THREADS, DEFAULT_MAX_EVENT_BYTES, InstantSource.system());
    }
}
