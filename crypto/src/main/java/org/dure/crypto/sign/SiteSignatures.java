package org.dure.crypto.sign;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Signatures a site puts on the messages that commit it: its approval of a study, its secure-aggregation
 * key advertisement, and its contribution to a round. The signed statement binds the purpose, the site id,
 * the study id, the round and the SHA-256 of exactly what was sent, so a signature cannot be replayed into
 * another round, another study, another kind of message or on behalf of another site.
 *
 * <p>Statement bytes: {@code "dure/site-signature/v1" 0x00 purpose 0x00 siteId 0x00 studyId 0x00 round(int32 BE)
 * sha256(32)}. The algorithm is ECDSA P-256 with SHA-256 ({@code SHA256withECDSA}, JDK provider) with the
 * key of the site's consortium certificate; signatures are DER-encoded.
 */
public final class SiteSignatures {
  public static final String ALGORITHM = "SHA256withECDSA";
  static final byte[] DOMAIN = "dure/site-signature/v1".getBytes(StandardCharsets.US_ASCII);
  /** Largest DER ECDSA P-256 signature. */
  public static final int MAX_SIGNATURE_BYTES = 72;

  /** What a signature commits to; part of the signed statement. */
  public enum Purpose {
    /** The site approves a study; content = SHA-256 of the study definition it was offered. Round 0. */
    STUDY_APPROVAL("study-approval"),
    /** The site withdraws from a study; content = SHA-256 of the withdrawal reason (UTF-8). Round 0. */
    STUDY_WITHDRAWAL("study-withdrawal"),
    /** The site's secure-aggregation public keys for a round; content = SHA-256 of their encoding. */
    SECAGG_KEYS("secagg-keys"),
    /** The site's (masked or plain) update for a round; content = SHA-256 of the frame bytes. */
    CONTRIBUTION("contribution");

    private final String label;

    Purpose(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private SiteSignatures() {}

  /** Signs the statement for {@code (purpose, siteId, studyId, round, contentSha256)} with the site's key. */
  public static byte[] sign(PrivateKey key, Purpose purpose, String siteId, String studyId, int round, byte[] contentSha256) {
    Objects.requireNonNull(key, "key");
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(statement(purpose, siteId, studyId, round, contentSha256));
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with a " + key.getAlgorithm() + " key: " + e.getMessage()
          + "; site keys are EC P-256", e);
    }
  }

  /**
   * Checks a site's signature with the public key of the certificate the site presented on its own
   * connection.
   *
   * @throws SignatureRejected naming what did not match
   */
  public static void verify(PublicKey key, Purpose purpose, String siteId, String studyId, int round,
      byte[] contentSha256, byte[] signature) throws SignatureRejected {
    Objects.requireNonNull(key, "key");
    if (signature == null || signature.length == 0) {
      throw new SignatureRejected(purpose.label() + " from site " + siteId + " for study " + studyId + " round " + round
          + " carries no signature");
    }
    if (signature.length > MAX_SIGNATURE_BYTES) {
      throw new SignatureRejected(purpose.label() + " signature from site " + siteId + " is " + signature.length
          + " bytes, more than an ECDSA P-256 signature can be");
    }
    boolean ok;
    try {
      Signature v = Signature.getInstance(ALGORITHM);
      v.initVerify(key);
      v.update(statement(purpose, siteId, studyId, round, contentSha256));
      ok = v.verify(signature);
    } catch (GeneralSecurityException e) {
      ok = false;
    }
    if (!ok) {
      throw new SignatureRejected(purpose.label() + " signature does not verify for site " + siteId + ", study " + studyId
          + ", round " + round + ", content " + HexFormat.of().formatHex(contentSha256).substring(0, 16)
          + "…: it was made for another round, study, content or site, or by another key");
    }
  }

  static byte[] statement(Purpose purpose, String siteId, String studyId, int round, byte[] contentSha256) {
    Objects.requireNonNull(purpose, "purpose");
    requireText(siteId, "siteId");
    requireText(studyId, "studyId");
    if (round < 0) throw new IllegalArgumentException("round must be >= 0, was " + round);
    if (contentSha256 == null || contentSha256.length != 32) {
      throw new IllegalArgumentException("contentSha256 must be a 32-byte SHA-256 digest");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    out.writeBytes(DOMAIN);
    out.write(0);
    out.writeBytes(purpose.label().getBytes(StandardCharsets.US_ASCII));
    out.write(0);
    out.writeBytes(siteId.getBytes(StandardCharsets.UTF_8));
    out.write(0);
    out.writeBytes(studyId.getBytes(StandardCharsets.UTF_8));
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).putInt(round).array());
    out.writeBytes(contentSha256);
    return out.toByteArray();
  }

  private static void requireText(String s, String name) {
    if (s == null || s.isEmpty() || s.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(name + " must be non-empty text without NUL characters");
    }
  }

  /** A signature that does not verify; the message says which statement it failed for. */
  public static final class SignatureRejected extends Exception {
    private static final long serialVersionUID = 1L;

    public SignatureRejected(String message) {
      super(message);
    }
  }
}
