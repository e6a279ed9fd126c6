package dev.tailbus.protobus.tls;

import dev.tailbus.core.TailbusException;
import dev.tailbus.core.TailbusException.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * PEM files for TLS, read and checked once, for the server and the clients alike: certificate
 * chains, CA bundles and unencrypted PKCS#8 RSA or EC private keys ({@code -----BEGIN PRIVATE KEY-----}),
 * turned into the JDK's key and trust managers.
 *
 * <p>Design note: the files are parsed here rather than handed to gRPC so that each mistake an
 * operator makes (a missing file, a file of the wrong kind, a key that belongs to another
 * certificate, a kind of key the transport cannot use) is one line naming the file when the tool starts, not a stack trace or a failed
 * handshake later. A key is matched to its certificate by signing a random challenge with the
 * key and verifying it with the certificate's public key.
 *
 * <p>Errors are {@link TailbusException}s: {@link Kind#UNAVAILABLE} for a file that cannot be
 * read, {@link Kind#BAD_INPUT} for one whose content is wrong. Stateless and thread-safe.
 */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----",
            Pattern.DOTALL);
    /** No certificate chain or key file is this large. */
    private static final long MAX_FILE_BYTES = 1 << 20;
    private static final char[] STORE_PASSWORD = "tailbus".toCharArray();

    private PemFiles() {
    }

    /**
     * The certificates of {@code file} (what: "certificate", "CA certificate"), in file order.
     *
     * @throws TailbusException the file cannot be read, or holds no valid certificate
     */
    public static List<X509Certificate> certificates(Path file, String what) {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file, what)) {
                if (b.type().equals("CERTIFICATE")) {
                    out.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
                }
            }
        } catch (CertificateException e) {
            throw new TailbusException(Kind.BAD_INPUT, what + " file " + file + " holds a malformed certificate: "
                    + e.getMessage());
        }
        if (out.isEmpty()) {
            throw new TailbusException(Kind.BAD_INPUT, what + " file " + file
                    + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    /**
     * The private key of {@code file}: one unencrypted PKCS#8 key, RSA or EC (the TLS transport
     * cannot serve EdDSA, DSA or RSA-PSS keys: those are refused here with a clear line).
     *
     * @throws TailbusException the file cannot be read, or holds no such key
     */
    public static PrivateKey privateKey(Path file) {
        for (Block b : blocks(file, "key")) {
            switch (b.type()) {
                case "PRIVATE KEY" -> {
                    for (String algorithm : new String[] {"RSA", "EC"}) {
                        try {
                            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
                        } catch (GeneralSecurityException e) {
                            // not this algorithm: try the next
                        }
                    }
                    for (String algorithm : new String[] {"Ed25519", "Ed448", "RSASSA-PSS", "DSA"}) {
                        try {
                            KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
                            throw new TailbusException(Kind.BAD_INPUT, "key file " + file + " holds an " + algorithm
                                    + " key, which the TLS transport cannot serve; use an RSA or EC (ECDSA) key");
                        } catch (GeneralSecurityException e) {
                            // not this algorithm either
                        }
                    }
                    throw new TailbusException(Kind.BAD_INPUT, "key file " + file
                            + " holds a private key of an unknown or malformed kind");
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new TailbusException(Kind.BAD_INPUT, "key file " + file
                        + " holds an " + b.type().substring(0, b.type().indexOf(' ')) + " key in the old format; convert it to PKCS#8 with: "
                        + "openssl pkcs8 -topk8 -nocrypt -in " + file + " -out NEW_FILE");
                case "ENCRYPTED PRIVATE KEY" -> throw new TailbusException(Kind.BAD_INPUT, "key file " + file
                        + " holds an encrypted key; decrypt it with: openssl pkcs8 -in " + file + " -out NEW_FILE");
                default -> {
                    // certificates and parameters beside the key are allowed
                }
            }
        }
        throw new TailbusException(Kind.BAD_INPUT, "key file " + file
                + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    /**
     * Key managers presenting the chain of {@code certificateFile} with the key of {@code keyFile},
     * after checking that the key belongs to the chain's first certificate.
     *
     * @throws TailbusException a file cannot be read or is wrong, or the key does not match
     */
    public static KeyManager[] keyManagers(Path certificateFile, Path keyFile) {
        List<X509Certificate> chain = certificates(certificateFile, "certificate");
        PrivateKey key = privateKey(keyFile);
        checkPair(chain.getFirst(), certificateFile, key, keyFile);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("tailbus", key, STORE_PASSWORD, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, STORE_PASSWORD);
            return factory.getKeyManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new TailbusException(Kind.BAD_INPUT, "cannot use key " + keyFile + " with certificate "
                    + certificateFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Trust managers that accept peers whose chain ends at a certificate of {@code caFile}.
     *
     * @throws TailbusException the file cannot be read or holds no certificate
     */
    public static TrustManager[] trustManagers(Path caFile) {
        List<X509Certificate> authorities = certificates(caFile, "CA certificate");
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                store.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory.getTrustManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new TailbusException(Kind.BAD_INPUT, "cannot use the CA certificates of " + caFile + ": "
                    + e.getMessage(), e);
        }
    }

    /** Throws unless {@code key} is the private half of {@code certificate}'s public key. */
    static void checkPair(X509Certificate certificate, Path certificateFile, PrivateKey key, Path keyFile) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new IllegalStateException("privateKey() returns RSA and EC keys only");
        };
        boolean matches;
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false; // a key of another algorithm than the certificate's
        }
        if (!matches) {
            throw new TailbusException(Kind.BAD_INPUT, "key file " + keyFile + " does not match certificate "
                    + certificateFile + " (" + certificate.getSubjectX500Principal().getName() + ")");
        }
    }

    /** A PEM block: its type and its base64 text, decoded when needed. */
    private record Block(Path file, String what, String type, String text) {
        byte[] der() {
            try {
                return Base64.getMimeDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                throw new TailbusException(Kind.BAD_INPUT, what + " file " + file + " holds a malformed PEM block ("
                        + type + "): " + e.getMessage());
            }
        }
    }

    /**
     * Why {@code file} could not be read, in a few words for the one line a user sees: "no such
     * file", "permission denied", "it is a folder", else the system's reason (never the bare path
     * that some exceptions carry as their message).
     */
    public static String whyUnreadable(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (Files.isDirectory(file)) {
            return "it is a folder";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static List<Block> blocks(Path file, String what) {
        String text;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new TailbusException(Kind.BAD_INPUT, what + " file " + file + " is larger than 1 MiB: not a PEM file");
            }
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new TailbusException(Kind.UNAVAILABLE, "cannot read " + what + " file " + file + ": " + whyUnreadable(file, e));
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            out.add(new Block(file, what, m.group(1), m.group(2)));
        }
        return out;
    }
}
