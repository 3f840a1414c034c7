package org.dure.coordinator.study;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.dure.coordinator.sites.SiteSession;
import org.dure.crypto.Digests;
import org.dure.crypto.sign.SiteSignatures;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;

/**
 * Verifies what a site signs — its approval of a study definition, its withdrawal, each contribution — against the
 * key of the certificate it presented on its connection; each check returns null or the reason it failed.
 */
final class SiteStatements {
  private SiteStatements() {}

  /** Why the approval does not cover study {@code studyId}'s definition (SHA-256 {@code specSha256}), or null. */
  static String approvalProblem(SiteSession s, String studyId, byte[] specSha256, AgentMessage.StudyAccepted a) {
    return problem(s, Purpose.STUDY_APPROVAL, studyId, 0, specSha256, decode(a.signature()));
  }

  /** Why the withdrawal is not the site's signed statement of its reason, or null. */
  static String withdrawalProblem(SiteSession s, String studyId, AgentMessage.StudyWithdrawn w) {
    return problem(s, Purpose.STUDY_WITHDRAWAL, studyId, 0,
        Digests.sha256(String.valueOf(w.reason()).getBytes(StandardCharsets.UTF_8)), decode(w.signature()));
  }

  /** Why the frame is not the site's signed contribution to its round, or null. */
  static String contributionProblem(SiteSession s, String studyId, Frames.Frame f) {
    return problem(s, Purpose.CONTRIBUTION, studyId, f.round(), f.signedDigest(), f.signature());
  }

  private static String problem(SiteSession s, Purpose purpose, String studyId, int round, byte[] digest, byte[] signature) {
    try {
      SiteSignatures.verify(s.publicKey(), purpose, s.siteId(), studyId, round, digest, signature);
      return null;
    } catch (SiteSignatures.SignatureRejected e) {
      return e.getMessage();
    }
  }

  private static byte[] decode(String base64) {
    try {
      return base64 == null ? new byte[0] : Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      return new byte[0];
    }
  }
}
