package org.dure.crypto.sign;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import org.dure.crypto.Digests;
import org.dure.crypto.pki.SiteKeys;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.crypto.sign.SiteSignatures.SignatureRejected;
import org.junit.jupiter.api.Test;

class SiteSignaturesTest {
  private final KeyPair siteA = SiteKeys.generateKeyPair();
  private final KeyPair siteB = SiteKeys.generateKeyPair();
  private final byte[] content = Digests.sha256("update bytes".getBytes());

  @Test void aSignatureVerifiesForExactlyTheStatementItWasMadeFor() {
    byte[] sig = SiteSignatures.sign(siteA.getPrivate(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content);
    assertDoesNotThrow(() -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content, sig));
  }

  @Test void aSignatureFromRoundRIsRejectedInRoundRPlusOne() {
    byte[] sig = SiteSignatures.sign(siteA.getPrivate(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content);
    SignatureRejected e = assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-a", "s1", 4, content, sig));
    assertTrue(e.getMessage().contains("round 4"), e.getMessage());
  }

  @Test void aSignatureIsBoundToStudyPurposeContentAndSite() {
    byte[] sig = SiteSignatures.sign(siteA.getPrivate(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content);
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-a", "s2", 3, content, sig));
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.STUDY_APPROVAL, "hospital-a", "s1", 3, content, sig));
    assertThrows(SignatureRejected.class, () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION,
        "hospital-a", "s1", 3, Digests.sha256("other".getBytes()), sig));
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-b", "s1", 3, content, sig));
  }

  @Test void aSignatureBySiteAIsRejectedWithSiteBsKey() {
    byte[] sig = SiteSignatures.sign(siteA.getPrivate(), Purpose.CONTRIBUTION, "hospital-b", "s1", 3, content);
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteB.getPublic(), Purpose.CONTRIBUTION, "hospital-b", "s1", 3, content, sig));
  }

  @Test void missingOversizedOrGarbageSignaturesAreRejectedNotThrownAsRuntimeErrors() {
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content, null));
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content, new byte[200]));
    assertThrows(SignatureRejected.class,
        () -> SiteSignatures.verify(siteA.getPublic(), Purpose.CONTRIBUTION, "hospital-a", "s1", 3, content, new byte[64]));
  }

  @Test void separatorsCannotBeSmuggledIntoIdentifiers() {
    assertThrows(IllegalArgumentException.class,
        () -> SiteSignatures.sign(siteA.getPrivate(), Purpose.CONTRIBUTION, "a\0b", "s1", 3, content));
  }
}
