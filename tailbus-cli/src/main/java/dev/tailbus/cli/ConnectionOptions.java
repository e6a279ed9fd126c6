package dev.tailbus.cli;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.client.BusCredentials;
import dev.tailbus.protobus.client.BusException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The client commands' TLS and access-token options ({@code publish}, {@code subscribe},
 * {@code topics}), with environment variables as defaults so that a token need not appear on a
 * command line (where {@code ps} shows it). A picocli mixin, turned into
 * {@link BusCredentials} once.
 */
final class ConnectionOptions {
    @Option(names = "--tls-ca", paramLabel = "FILE", defaultValue = "${env:TAILBUS_TLS_CA}",
            description = "connect with TLS, trusting the CA certificates of this PEM file for the server's "
                    + "(default: $TAILBUS_TLS_CA; neither: plain text)")
    Path tlsCa;

    @Option(names = "--tls-cert", paramLabel = "FILE", defaultValue = "${env:TAILBUS_TLS_CERT}",
            description = "for mutual TLS: this client certificate chain (PEM; default: $TAILBUS_TLS_CERT)")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", defaultValue = "${env:TAILBUS_TLS_KEY}",
            description = "the client certificate's PKCS#8 private key (PEM; default: $TAILBUS_TLS_KEY)")
    Path tlsKey;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:TAILBUS_TOKEN}",
            description = "send this access token (authorization: Bearer TOKEN; default: $TAILBUS_TOKEN)")
    String token;

    /**
     * The credentials the options give.
     *
     * @throws BusException bad input for a client certificate without its key or the other way round
     */
    BusCredentials credentials() {
        // An environment variable set to nothing is as good as unset.
        tlsCa = given(tlsCa);
        tlsCert = given(tlsCert);
        tlsKey = given(tlsKey);
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new BusException(Kind.BAD_INPUT, "give --tls-cert and --tls-key together (or "
                    + "TAILBUS_TLS_CERT and TAILBUS_TLS_KEY)");
        }
        BusCredentials c = BusCredentials.NONE;
        if (tlsCa != null) {
            c = c.withTlsCa(tlsCa);
        }
        if (tlsCert != null) {
            c = c.withClientCertificate(tlsCert, tlsKey);
        }
        if (token != null && !token.isEmpty()) {
            c = c.withToken(token.strip());
        }
        return c;
    }

    private static Path given(Path p) {
        return p == null || p.toString().isEmpty() ? null : p;
    }
}
