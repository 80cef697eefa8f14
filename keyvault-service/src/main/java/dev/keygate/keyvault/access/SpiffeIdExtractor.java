package dev.keygate.keyvault.access;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;

import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.web.authentication.preauth.x509.X509PrincipalExtractor;

/** A client's identity is the {@code spiffe://} URI in its certificate's subject alternative names, not its CN. */
final class SpiffeIdExtractor implements X509PrincipalExtractor {

    private static final int URI_NAME = 6;

    @Override
    public Object extractPrincipal(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() == 2 && Integer.valueOf(URI_NAME).equals(name.get(0))
                            && name.get(1) instanceof String uri && uri.startsWith("spiffe://")) {
                        return uri;
                    }
                }
            }
        }
        catch (CertificateParsingException ex) {
            throw new BadCredentialsException("unreadable subject alternative names", ex);
        }
        throw new BadCredentialsException("the client certificate names no spiffe:// identity");
    }
}
