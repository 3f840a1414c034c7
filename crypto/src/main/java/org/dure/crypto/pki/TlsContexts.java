package org.dure.crypto.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** TLS contexts for clients of the coordinator's HTTPS API. */
public final class TlsContexts {
  private TlsContexts() {}

  /** A TLS 1.3 client context that trusts exactly {@code cas} (the consortium CA), not the JDK's CAs. */
  public static SSLContext clientTrustingOnly(Collection<? extends Certificate> cas) throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    int i = 0;
    for (Certificate c : cas) trust.setCertificateEntry("ca" + i++, c);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
