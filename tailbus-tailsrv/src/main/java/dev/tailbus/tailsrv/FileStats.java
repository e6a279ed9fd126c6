package dev.tailbus.tailsrv;

import java.util.Map;

/**
 * What tailsrv knows of one served file at one moment, for a metrics exporter: taken on the
 * conductor's thread, so that every figure of one file agrees with the others.
 *
 * @param file            the served file and the port asked for
 * @param clients         clients connected now (those still sending their header included)
 * @param clientsAccepted clients accepted since the start
 * @param bytesSent       bytes sent to clients since the start
 * @param clientsBehind   streaming clients that have not yet been sent everything up to the end
 *                        of the file as last seen
 * @param bytesBehind     the bytes those clients still have to be sent, summed
 * @param mostBehind      the most bytes one client still has to be sent (0 when none is behind)
 * @param headersRefused  headers refused since the start, by reason (every reason present)
 */
public record FileStats(ServedFile file, int clients, long clientsAccepted, long bytesSent, int clientsBehind,
                        long bytesBehind, long mostBehind, Map<HeaderRefusal, Long> headersRefused) {
    public FileStats {
        headersRefused = Map.copyOf(headersRefused);
    }
}
