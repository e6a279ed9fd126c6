package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;

/**
 * Where a server is, in the reference's {@code HOST:PORT} syntax: an empty HOST ({@code :42000})
 * means this machine; an IPv6 address goes in brackets ({@code [::1]:42000}).
 *
 * @param host the host name or address, or null for this machine
 * @param port the TCP port, 1..65535
 */
public record BusAddress(String host, int port) {
    /** The reference server's default address. */
    public static final String DEFAULT = "localhost:42000";

    public BusAddress {
        if (port < 1 || port > 65535) {
            throw new BusException(Kind.BAD_INPUT, "port must be 1..65535, got " + port);
        }
    }

    /** Parses {@code [HOST]:PORT}; throws {@link BusException} (bad input) when malformed. */
    public static BusAddress parse(String spec) {
        int colon = spec == null ? -1 : spec.lastIndexOf(':');
        if (colon < 0) {
            throw new BusException(Kind.BAD_INPUT, "address must be HOST:PORT or :PORT, got '" + spec + "'");
        }
        String host = spec.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String portText = spec.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new BusException(Kind.BAD_INPUT, "address '" + spec + "' has no valid port: '" + portText + "'");
        }
        if (port == 0) {
            throw new BusException(Kind.BAD_INPUT, "address '" + spec + "' needs a port other than 0");
        }
        return new BusAddress(host.isEmpty() ? null : host, port);
    }

    /** The host to connect to: {@code localhost} when none was given. */
    public String hostOrLocal() {
        return host == null ? "localhost" : host;
    }

    @Override
    public String toString() {
        String h = host == null ? "" : host.contains(":") ? "[" + host + "]" : host;
        return h + ":" + port;
    }
}
