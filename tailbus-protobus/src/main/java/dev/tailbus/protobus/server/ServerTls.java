package dev.tailbus.protobus.server;

import dev.tailbus.protobus.tls.PemFiles;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.nio.file.Path;

/**
 * The server's TLS settings ({@code --tls-cert}, {@code --tls-key}, {@code --tls-client-ca}),
 * read and checked once into gRPC server credentials: the files are PEM, the key PKCS#8 and
 * matching the certificate. With a client CA, every client must present a certificate that CA
 * signed (mutual TLS); without one, clients present none.
 *
 * <p>Use the credentials when making the server's builder, such as
 * {@code NettyServerBuilder.forAddress(address, tls.credentials())}.
 *
 * @param certificateFile the server's certificate chain, its own certificate first
 * @param keyFile         the certificate's private key
 * @param clientCaFile    CA certificates that sign client certificates, or null for no mutual TLS
 * @param credentials     what the server's builder needs
 */
public record ServerTls(Path certificateFile, Path keyFile, Path clientCaFile, ServerCredentials credentials) {
    /**
     * Reads and checks the files.
     *
     * @throws dev.tailbus.core.TailbusException one line naming the file at fault: unavailable when
     *                                           it cannot be read, bad input when its content is wrong
     */
    public static ServerTls load(Path certificateFile, Path keyFile, Path clientCaFile) {
        TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
                .keyManager(PemFiles.keyManagers(certificateFile, keyFile));
        if (clientCaFile != null) {
            tls.trustManager(PemFiles.trustManagers(clientCaFile))
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return new ServerTls(certificateFile, keyFile, clientCaFile, tls.build());
    }
}
