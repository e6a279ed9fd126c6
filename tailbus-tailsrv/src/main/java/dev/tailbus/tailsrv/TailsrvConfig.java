package dev.tailbus.tailsrv;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a {@link TailServer} needs, validated once.
 *
 * @param bindAddress  the interface every port listens on (the wildcard address by default)
 * @param files        the files served, each on its own port; at least one
 * @param linger       keep serving a file after it is moved or deleted, instead of stopping
 * @param headerTimeout how long a client has to send its whole header line
 * @param headerLimit  the most bytes a header line may take, newline included
 * @param keepalive    how long a client's connection may be silent before TCP keepalive probes
 *                     ask its peer whether it is still there; also how often the server looks
 *                     for clients that shut their side and whose connection has since gone
 */
public record TailsrvConfig(InetAddress bindAddress, List<ServedFile> files, boolean linger,
                            Duration headerTimeout, int headerLimit, Duration keepalive) {
    /** The default time a client has to send its header. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    /** The default longest header, newline included: room for any 64-bit offset and spaces. */
    public static final int DEFAULT_HEADER_LIMIT = 64;
    /** The largest header limit accepted: a header is one number, not a payload. */
    public static final int MAX_HEADER_LIMIT = 64 * 1024;
    /** The default silence before keepalive probes. */
    public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(10);
    /** The longest keepalive time the system takes (TCP_KEEPIDLE is at most 32767 s). */
    public static final Duration MAX_KEEPALIVE = Duration.ofSeconds(32_767);

    public TailsrvConfig {
        if (bindAddress == null) {
            throw bad("a bind address is needed");
        }
        if (files == null || files.isEmpty()) {
            throw bad("name at least one file to serve");
        }
        files = List.copyOf(files);
        Set<Integer> ports = new HashSet<>();
        for (ServedFile file : files) {
            if (file.port() != 0 && !ports.add(file.port())) {
                throw bad("port " + file.port() + " is named for more than one file");
            }
        }
        if (headerTimeout == null || headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw bad("the header timeout must be positive");
        }
        if (headerLimit < 2 || headerLimit > MAX_HEADER_LIMIT) {
            throw bad("the header limit must be in 2.." + MAX_HEADER_LIMIT + " bytes, not " + headerLimit);
        }
        if (keepalive == null || keepalive.compareTo(Duration.ofSeconds(1)) < 0 || keepalive.compareTo(MAX_KEEPALIVE) > 0) {
            throw bad("the keepalive time must be between 1s and " + MAX_KEEPALIVE.toSeconds() + "s");
        }
    }

    /** As the canonical constructor, with the default keepalive time. */
    public TailsrvConfig(InetAddress bindAddress, List<ServedFile> files, boolean linger, Duration headerTimeout,
                         int headerLimit) {
        this(bindAddress, files, linger, headerTimeout, headerLimit, DEFAULT_KEEPALIVE);
    }

    /** The keepalive time in whole seconds, as the socket options take it (rounded up). */
    public int keepaliveSeconds() {
        return (int) Math.min(keepalive.plusNanos(999_999_999).toSeconds(), MAX_KEEPALIVE.toSeconds());
    }

    /** One file on one port, with the defaults of the reference: all interfaces, no linger. */
    public static TailsrvConfig of(ServedFile file) {
        return new TailsrvConfig(InetAddress.ofLiteral("0.0.0.0"), List.of(file), false,
                DEFAULT_HEADER_TIMEOUT, DEFAULT_HEADER_LIMIT);
    }

    private static TailsrvException bad(String message) {
        return new TailsrvException(TailsrvException.Kind.BAD_INPUT, message);
    }
}
