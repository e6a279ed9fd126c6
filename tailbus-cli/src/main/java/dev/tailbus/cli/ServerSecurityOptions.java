package dev.tailbus.cli;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.server.ProtobusException;
import dev.tailbus.protobus.server.ServerTls;
import dev.tailbus.protobus.server.TokenGate;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.Path;
import java.util.logging.Logger;
import picocli.CommandLine.Option;

/**
 * protobus-server's TLS and access-token options, a picocli mixin: the files are read and
 * checked once, before the store is opened, into a server builder that serves TLS and lets in
 * only calls with a known token. SIGHUP rereads the token file.
 */
final class ServerSecurityOptions {
    private static final Logger LOG = Logger.getLogger("dev.tailbus.protobus");

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve TLS with this certificate chain (PEM, the server's own certificate first); "
                    + "needs --tls-key (default: plain text).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "The private key of --tls-cert (PEM, PKCS#8: -----BEGIN PRIVATE KEY-----).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE",
            description = "Mutual TLS: accept only clients presenting a certificate signed by a CA of this PEM file.")
    Path tlsClientCa;

    @Option(names = "--auth-tokens", paramLabel = "FILE",
            description = {"Let in only calls with one of the access tokens of FILE (authorization: Bearer TOKEN), "
                    + "one per line with its rights: TOKEN publish=REGEX subscribe=REGEX admin; reread on SIGHUP "
                    + "(default: no tokens checked)."})
    Path authTokens;

    /**
     * A server builder on {@code address} with the options applied.
     *
     * @throws ProtobusException bad input for an incomplete set of TLS options; one line naming
     *                           the file for a file that cannot be read or is wrong
     */
    NettyServerBuilder serverBuilder(SocketAddress address) {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new ProtobusException(Kind.BAD_INPUT, "give --tls-cert and --tls-key together");
        }
        if (tlsClientCa != null && tlsCert == null) {
            throw new ProtobusException(Kind.BAD_INPUT, "--tls-client-ca needs --tls-cert and --tls-key");
        }
        NettyServerBuilder builder;
        if (tlsCert != null) {
            ServerTls tls = ServerTls.load(tlsCert, tlsKey, tlsClientCa);
            builder = NettyServerBuilder.forAddress(address, tls.credentials());
            warnIfEveryoneReads(tlsKey);
            LOG.info("TLS with certificate " + tlsCert + (tlsClientCa == null ? ""
                    : "; clients need a certificate signed by a CA of " + tlsClientCa));
        } else {
            builder = NettyServerBuilder.forAddress(address);
        }
        if (authTokens != null) {
            TokenGate gate = TokenGate.load(authTokens);
            warnIfEveryoneReads(authTokens);
            // Server-wide, so it runs before the per-service --max-threads limit.
            builder.intercept(gate);
            SignalTrap.onHangup(gate::reload);
            LOG.info("checking " + gate.size() + " access tokens from " + authTokens + " (SIGHUP rereads it)");
            if (gate.size() == 0) {
                LOG.warning(authTokens + " holds no token: every call is refused until a SIGHUP rereads it with one");
            }
        } else {
            // a server's SIGHUP means "reload" (systemctl reload, a closed terminal): never an exit
            SignalTrap.onHangup(() -> LOG.info("SIGHUP: nothing to reread (no --auth-tokens)"));
        }
        return builder;
    }

    /**
     * Refuses TLS beside {@code option} (the HTTP face), which reaches the server's gRPC port in
     * plain text and so cannot front a TLS server.
     *
     * @throws ProtobusException bad input when TLS is on
     */
    void refuseTlsWith(String option) {
        if (tlsCert != null) {
            throw new ProtobusException(Kind.BAD_INPUT, option + " cannot be combined with --tls-cert: the HTTP face "
                    + "reaches the server's gRPC port in plain text");
        }
    }

    /** A secret that every user of the machine can read deserves a line, not a refusal. */
    private static void warnIfEveryoneReads(Path secret) {
        try {
            if (Files.getPosixFilePermissions(secret).contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warning(secret + " is readable by every user of this machine; chmod 600 it");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // no POSIX permissions to judge: say nothing
        }
    }
}
