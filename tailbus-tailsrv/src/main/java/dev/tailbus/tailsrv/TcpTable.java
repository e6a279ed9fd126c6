package dev.tailbus.tailsrv;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The kernel's table of TCP connections ({@code /proc/net/tcp} and {@code /proc/net/tcp6}, see
 * proc(5)): which connections to our ports still exist.
 *
 * <p>Design note: a client that shut its sending side may still be reading, so its socket reads
 * as end of file for ever, whether the client is there or has gone; and after its peer's reset
 * the kernel keeps reporting end of file to {@code read}, never the reset. What does change is
 * the kernel's table: a reset connection leaves it. The JDK offers no {@code SO_ERROR} or
 * {@code TCP_INFO} on a channel, so this reads the table, which {@code ss} and {@code netstat}
 * read too. A connection is named by its two ports only: another connection with the same ports
 * (from another host) only keeps a departed client a little longer, never drops a present one.
 *
 * <p>Stateless; called by the conductor thread.
 */
final class TcpTable {
    private static final Path[] TABLES = {Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6")};

    private TcpTable() {
    }

    /** The key of the connection between {@code localPort} and {@code remotePort}. */
    static int key(int localPort, int remotePort) {
        return localPort << 16 | remotePort;
    }

    /**
     * The keys of the connections that exist now from any of {@code localPorts}, or null if the
     * table cannot be read (another system): the caller then assumes every connection exists.
     */
    static Set<Integer> connections(Set<Integer> localPorts) {
        Set<Integer> found = new HashSet<>();
        boolean read = false;
        for (Path table : TABLES) {
            try (BufferedReader lines = Files.newBufferedReader(table, StandardCharsets.US_ASCII)) {
                read = true;
                lines.readLine(); // the column titles
                for (String line; (line = lines.readLine()) != null; ) {
                    // "  sl  local_address rem_address st ...": addresses are HEXADDR:HEXPORT
                    String[] fields = line.trim().split("\\s+", 5);
                    if (fields.length < 4) {
                        continue;
                    }
                    int local = port(fields[1]);
                    if (local >= 0 && localPorts.contains(local)) {
                        int remote = port(fields[2]);
                        if (remote >= 0) {
                            found.add(key(local, remote));
                        }
                    }
                }
            } catch (NoSuchFileException e) {
                // No IPv6 (or no /proc): the other table, if any, tells.
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return read ? found : null;
    }

    private static int port(String address) {
        int colon = address.lastIndexOf(':');
        try {
            return colon < 0 ? -1 : Integer.parseInt(address, colon + 1, address.length(), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
