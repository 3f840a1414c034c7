package org.dure.crypto.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Security;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/** Shared, package-private plumbing: provider registration, names, serials, PEM text. */
final class PkiSupport {
  static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
  static final Pattern SITE_ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  static final SecureRandom RANDOM = new SecureRandom();

  private PkiSupport() {}

  /** Appends (never inserts first) the BouncyCastle provider, so the JDK providers keep serving JSSE. */
  static synchronized void ensureProvider() {
    if (Security.getProvider(BouncyCastleProvider.PROVIDER_NAME) == null) {
      Security.addProvider(new BouncyCastleProvider());
    }
  }

  static String requireSiteId(String siteId, String where) {
    if (siteId == null || !SITE_ID.matcher(siteId).matches()) {
      throw new IllegalArgumentException(where + ": site id " + (siteId == null ? "null" : "'" + siteId + "'")
          + " must match " + SITE_ID.pattern() + " (lower-case letters, digits, '.', '_', '-'; at most 64 characters)");
    }
    return siteId;
  }

  static X500Name commonNameOnly(String cn) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
  }

  /** The single CN of a name, or null when there is none, several, or it is not a string. */
  static String singleCommonName(X500Name name) {
    RDN[] rdns = name.getRDNs(BCStyle.CN);
    if (rdns.length != 1 || rdns[0].isMultiValued()) return null;
    ASN1Encodable value = rdns[0].getFirst().getValue();
    return value instanceof ASN1String s ? s.getString() : null;
  }

  static String singleCommonName(X500Principal principal) {
    return singleCommonName(X500Name.getInstance(principal.getEncoded()));
  }

  /** A positive serial of at most 127 bits from a CSPRNG, as RFC 5280 §4.1.2.2 recommends. */
  static BigInteger newSerial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(key);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("cannot sign with " + SIGNATURE_ALGORITHM + ": " + e.getMessage(), e);
    }
  }

  static String toPem(Object objectOrGenerator) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      if (objectOrGenerator instanceof PemObjectGenerator g) w.writeObject(g);
      else w.writeObject(objectOrGenerator);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Reads the first PEM object; fails naming what was expected when the text holds none. */
  static Object readPem(String pem, String expected) {
    if (pem == null) throw new NullPointerException(expected + " PEM text");
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      if (o == null) throw new IllegalArgumentException("no PEM object found where " + expected + " was expected");
      return o;
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed PEM where " + expected + " was expected: " + e.getMessage(), e);
    }
  }

  static IllegalStateException unexpected(GeneralSecurityException e) {
    return new IllegalStateException("the JDK refused a standard operation: " + e.getMessage(), e);
  }
}
