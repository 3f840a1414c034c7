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
      throw new IllegalArgumentException("malformed PEM where " + expected + " was expected: " + problem(pem, e), e);
    }
  }

  /** Longest part of a hostile input (a PEM label) quoted back in a message. */
  private static final int MAX_QUOTED = 64;
  private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([^\r\n]{0," + (MAX_QUOTED + 1) + "})");

  /** A qualified exception class name that BouncyCastle splices into its messages ("...: java.io.EOFException: ..."). */
  private static final Pattern EXCEPTION_NAME = Pattern.compile(":? ?\\b(?:java|javax|org|com)\\.[\\w.$]+(?:Exception|Error)\\b");

  /**
   * What is wrong with PEM text, in words: BouncyCastle's reason (a missing END line, bad base64, an ASN.1 length
   * running past the end), without the class names and texts of the exceptions its decoders throw on malformed DER
   * ("java.lang.ArrayIndexOutOfBoundsException: Index 0 out of bounds for length 0", "Cannot invoke ... because ... is
   * null"), and quoting at most a bounded part of the input.
   */
  static String problem(String pem, Exception e) {
    String label = label(pem);
    return abbreviate((label == null ? "" : "the " + label + " block: ") + reason(e));
  }

  /** {@link #problem} without naming a PEM block: for exceptions from decoding a structure already read. */
  static String reason(Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    String message = e.getMessage() == null ? "" : e.getMessage();
    if (root != e && isProgrammingError(root)) {
      // BouncyCastle appends the cause's message, "null" when it has none
      String text = root.getMessage() == null ? "null" : root.getMessage();
      int at = message.lastIndexOf(text);
      if (at >= 0) message = message.substring(0, at);
    }
    message = EXCEPTION_NAME.matcher(message).replaceAll("").strip();
    while (message.endsWith(":")) message = message.substring(0, message.length() - 1).strip();
    if (root != e && root instanceof IOException && root.getMessage() != null && !message.contains(root.getMessage())) {
      message = message + (message.isEmpty() ? "" : " ") + "(" + root.getMessage() + ")";
    }
    return abbreviate(message.isEmpty() ? "malformed DER" : message);
  }

  /**
   * Whether BouncyCastle's decoders threw {@code t} on malformed input rather than reporting it: any unchecked exception
   * ("unexpected object: null", an index out of bounds) except its base64 decoder's, whose message is a reason.
   */
  private static boolean isProgrammingError(Throwable t) {
    return t instanceof RuntimeException && !(t instanceof org.bouncycastle.util.encoders.DecoderException);
  }

  private static String label(String pem) {
    var m = BEGIN.matcher(pem);
    if (!m.find()) return null;
    String label = m.group(1);
    int end = label.indexOf("-----");
    return abbreviate(end >= 0 ? label.substring(0, end) : label);
  }

  static String abbreviate(String s) {
    String line = s.replaceAll("\\p{Cntrl}", " ");
    return line.length() <= MAX_QUOTED * 4 ? line : line.substring(0, MAX_QUOTED * 4) + "…";
  }

  static IllegalStateException unexpected(GeneralSecurityException e) {
    return new IllegalStateException("the JDK refused a standard operation: " + e.getMessage(), e);
  }
}
