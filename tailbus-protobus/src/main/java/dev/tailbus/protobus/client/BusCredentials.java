package dev.tailbus.protobus.client;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.protobus.tls.PemFiles;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a client proves itself to a server and checks the server: TLS (a CA file whose
 * certificates sign the server's, and for mutual TLS a client certificate and key, all PEM) and an
 * access token sent as {@code authorization: Bearer TOKEN} on every call. {@link #NONE}: plain
 * text, no token, as a server without {@code --tls-cert} and {@code --auth-tokens} expects.
 *
 * <pre>{@code
 * BusCredentials credentials = BusCredentials.NONE
 *         .withTlsCa(Path.of("/etc/tailbus/ca.pem"))
 *         .withToken(System.getenv("TAILBUS_TOKEN"));
 * BusPublisher.builder("bus.example:42000").credentials(credentials).build();
 * }</pre>
 *
 * <p>The files are read and checked when a channel is opened ({@link #channelCredentials()}),
 * so a missing file or a key that does not match its certificate fails at once with one line
 * naming the file. With a client certificate but no CA file, the server is checked against the
 * JDK's default trusted CAs. The server's certificate must name the host of the address
 * (a DNS name or an IP address among its subject alternative names). Immutable.
 */
public final class BusCredentials {
    /** Plain text, no token. */
    public static final BusCredentials NONE = new BusCredentials(null, null, null, null);

    private final Path tlsCa;
    private final Path certificate;
    private final Path key;
    private final String token;

    private BusCredentials(Path tlsCa, Path certificate, Path key, String token) {
        this.tlsCa = tlsCa;
        this.certificate = certificate;
        this.key = key;
        this.token = token;
    }

    /** TLS, trusting the CA certificates of {@code caFile} (PEM) for the server's certificate. */
    public BusCredentials withTlsCa(Path caFile) {
        return new BusCredentials(Objects.requireNonNull(caFile, "caFile"), certificate, key, token);
    }

    /** TLS with this client certificate chain and its PKCS#8 key (PEM), for a server that asks for one. */
    public BusCredentials withClientCertificate(Path certificateFile, Path keyFile) {
        return new BusCredentials(tlsCa, Objects.requireNonNull(certificateFile, "certificateFile"),
                Objects.requireNonNull(keyFile, "keyFile"), token);
    }

    /**
     * Sends {@code accessToken} on every call (null: none).
     *
     * @throws BusException bad input for a token that is empty or not visible ASCII
     */
    public BusCredentials withToken(String accessToken) {
        if (accessToken != null) {
            if (accessToken.isEmpty() || !accessToken.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new BusException(Kind.BAD_INPUT, "an access token is visible ASCII characters without spaces");
            }
        }
        return new BusCredentials(tlsCa, certificate, key, accessToken);
    }

    /** Whether calls go over TLS. */
    public boolean tls() {
        return tlsCa != null || certificate != null;
    }

    /** The access token sent with every call, or null. */
    String token() {
        return token;
    }

    /**
     * The channel credentials: the files read and checked now.
     *
     * @throws dev.tailbus.core.TailbusException one line naming the file at fault
     */
    ChannelCredentials channelCredentials() {
        if (!tls()) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
        if (tlsCa != null) {
            b.trustManager(PemFiles.trustManagers(tlsCa));
        }
        if (certificate != null) {
            b.keyManager(PemFiles.keyManagers(certificate, key));
        }
        return b.build();
    }

    @Override
    public String toString() {
        return (tls() ? "TLS" + (tlsCa != null ? " ca=" + tlsCa : "") + (certificate != null ? " cert=" + certificate : "")
                : "plain text") + (token != null ? ", token" : ", no token");
    }
}
