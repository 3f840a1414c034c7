package org.dure.agent.study;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.crypto.Digests;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;

/** The local policy and the data officer's recorded decisions, as the agent's study work consults them. */
final class Approvals {
  final LocalPolicy policy;
  final StudyDecisions store;
  private final SiteIdentity identity;

  Approvals(LocalPolicy policy, StudyDecisions store, SiteIdentity identity) {
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
    this.store = java.util.Objects.requireNonNull(store, "store");
    this.identity = identity;
  }

  StudyRecord known(String studyId) {
    return store.get(studyId).orElse(null);
  }

  void save(StudyRecord r) {
    try {
      store.put(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot record study " + r.id() + " in " + store.directory() + ": " + e.getMessage(), e);
    }
  }

  /** Hex SHA-256 of the study definition exactly as offered (what an approval signs). */
  static String specSha256(CoordinatorMessage.StudyOffer o) {
    return org.dure.protocol.study.StudySpec.sha256Hex(o.spec());
  }

  /** The study as the data officer sees it in {@code dure agent studies}. */
  static StudyRecord record(CoordinatorMessage.StudyOffer o, StudySpec spec, long rows, Status status, String reason,
                            StudyRecord known) {
    PrivacyPlan p = spec.privacy();
    PrivacyPlan.DifferentialPrivacy dp = p.differentialPrivacy();
    String privacy = (p.secureAggregation().enabled() ? "secure aggregation" : "plain updates")
        + (!dp.enabled() ? ", no DP" : dp.targetEpsilon() > 0 ? ", DP ε=" + dp.targetEpsilon() + " δ=" + dp.delta()
            : ", DP σ=" + dp.noiseMultiplier() + " δ=" + dp.delta())
        + (p.siteLevelNoise().enabled() ? ", site-level noise z=" + p.siteLevelNoise().noiseMultiplier() : "")
        // what the validation report will break results down by, so the officer sees it before approving
        + "; report by " + spec.report().requested().stream()
            .map(g -> g.isBanded() ? g.column() + " bands " + g.bands() : g.column()).toList();
    int[] hidden = spec.model().hiddenLayers();
    String model = spec.model().kind().wireName() + (hidden.length == 0 ? "" : " " + Arrays.toString(hidden));
    String now = Instant.now().toString();
    return new StudyRecord(o.studyId(), spec.name(), spec.features().stream().map(f -> f.name()).toList(),
        spec.labelColumn() + " = " + spec.labelPositive(), model, spec.training().rounds(), privacy, rows,
        specSha256(o), known == null ? now : known.receivedAt(), status, reason, status == Status.PENDING ? null : now,
        o.spec());
  }

  /** The signed withdrawal: {@code study-withdrawal} purpose, round 0, over the SHA-256 of the reason. */
  AgentMessage.StudyWithdrawn withdrawal(String studyId, String reason) {
    byte[] signature = identity.sign(Purpose.STUDY_WITHDRAWAL, studyId, 0,
        Digests.sha256(reason.getBytes(StandardCharsets.UTF_8)));
    return new AgentMessage.StudyWithdrawn(studyId, reason, Base64.getEncoder().encodeToString(signature));
  }
}
