package dev.tailbus.protobus.client;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * Turns a failed TLS handshake, as the transport reports it deep in a chain of causes, into a few
 * words a user can act on (which option to look at). Stateless.
 */
final class TlsFailures {
    private TlsFailures() {
    }

    /** What went wrong in the handshake behind {@code t}, or null when it was no TLS failure. */
    static String explain(Throwable t) {
        SSLException ssl = null;
        boolean untrusted = false;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException e && ssl == null) {
                ssl = e;
            }
            if (c instanceof CertPathValidatorException
                    || c.getClass().getName().endsWith("SunCertPathBuilderException")) {
                untrusted = true;
            }
            if (c instanceof CertificateException && c.getMessage() != null
                    && c.getMessage().startsWith("No subject alternative")) {
                return "the server's certificate does not name the host of the address (" + c.getMessage() + ")";
            }
        }
        if (ssl == null) {
            return null;
        }
        String m = String.valueOf(ssl.getMessage()).toLowerCase(Locale.ROOT);
        if (untrusted || m.contains("unable to find valid certification path") || m.contains("path building failed")) {
            return "the server's certificate is not signed by a trusted CA (check --tls-ca or TAILBUS_TLS_CA)";
        }
        if (m.contains("certificate_required") || m.contains("bad_certificate") || m.contains("handshake_failure")) {
            return "the server refused the handshake; it may require a client certificate (--tls-cert and --tls-key)"
                    + " that its CA signed";
        }
        if (m.contains("not an ssl/tls record") || m.contains("unsupported or unrecognized ssl message")) {
            return "the server does not speak TLS (leave out --tls-ca)";
        }
        return ssl.getMessage();
    }
}
