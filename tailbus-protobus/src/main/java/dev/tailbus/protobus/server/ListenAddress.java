package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException.Kind;
import java.net.InetSocketAddress;

/**
 * Where the server listens, parsed from the reference's {@code ADDRESS:PORT} syntax: an empty
 * ADDRESS ({@code :42000}) means every interface; an IPv6 address goes in brackets
 * ({@code [::1]:42000}); port 0 asks the system for a free port.
 *
 * @param host the host name or address, or null for every interface
 * @param port the TCP port, 0..65535
 */
public record ListenAddress(String host, int port) {
    /** The reference's default: port 42000 on the local interface. */
    public static final String DEFAULT = "localhost:42000";

    public ListenAddress {
        if (port < 0 || port > 65535) {
            throw new ProtobusException(Kind.BAD_INPUT, "port must be 0..65535, got " + port);
        }
    }

    /** Parses {@code [ADDRESS]:PORT}; throws {@link ProtobusException} (bad input) when malformed. */
    public static ListenAddress parse(String spec) {
        int colon = spec == null ? -1 : spec.lastIndexOf(':');
        if (colon < 0) {
            throw new ProtobusException(Kind.BAD_INPUT, "address must be ADDRESS:PORT or :PORT, got '" + spec + "'");
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
            throw new ProtobusException(Kind.BAD_INPUT, "address '" + spec + "' has no valid port: '" + portText + "'");
        }
        return new ListenAddress(host.isEmpty() ? null : host, port);
    }

    /** The socket address to bind: the wildcard address when no host was given. */
    public InetSocketAddress socketAddress() {
        return host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        String h = host == null ? "" : host.contains(":") ? "[" + host + "]" : host;
        return h + ":" + port;
    }
}
