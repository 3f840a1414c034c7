package org.dure.agent.study;

import java.io.IOException;
import java.util.UUID;
import org.dure.agent.chain.PrivacyChain;
import org.dure.agent.identity.SiteIdentity;
import org.dure.agent.ledger.ReceiptChecker;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.crypto.sign.SiteSignatures.Purpose;
import org.dure.learning.train.TrainOutcome;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a round from a global model frame: the round's checks (set up, not halted, approved rounds, last receipt,
 * budget), the evaluation of the model it starts from, training, accounting the privacy spent, and the plain update
 * or the secure contribution that is masked later.
 */
final class RoundWork {
  private static final Logger log = LoggerFactory.getLogger(RoundWork.class);
  private final StudyContext ctx;
  private final String siteId;
  private final SiteIdentity identity;
  private final PrivacyChain out;
  private final PrivacyBudget budget;
  private final ContributionJournal journal;
  private final ReceiptChecker receipts;
  private final java.util.Map<UUID, StudyParticipation> studies;
  private final java.util.Map<UUID, SecureContribution> secure;
  private final Evaluations evaluations;

  RoundWork(StudyContext c, Evaluations evaluations) {
    this.ctx = c;
    this.siteId = c.siteId;
    this.identity = c.identity;
    this.out = c.out;
    this.budget = c.budget;
    this.journal = c.journal;
    this.receipts = c.receipts;
    this.studies = c.studies;
    this.secure = c.secure;
    this.evaluations = evaluations;
  }

  void round(Frames.ModelFrame f) {
    StudyParticipation p = studies.get(f.studyId());
    String study = f.studyId().toString();
    if (p == null || !p.ready()) {
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " is not set up for this study"));
      return;
    }
    float[] global = f.valuesUnsafe();
    String globalSha256 = org.dure.crypto.Digests.modelSha256(global); // once per frame: models can be large
    long t0 = System.nanoTime();
    boolean secureStudy = p.spec.privacy().secureAggregation().enabled();
    String halted = journal.halted(study);
    if (halted != null) {
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " stopped taking part in the study: " + halted));
      return;
    }
    if (f.kind() != Frames.Kind.GLOBAL_TRAIN) { // the final evaluation, before the validation report
      evaluations.evaluate(p, f.modelVersion(), global, globalSha256, secureStudy);
      return;
    }
    SecureContribution c = null;
    if (secureStudy) {
      c = secure.get(f.studyId());
      if (c == null || !c.isFor(f.round())) {
        // Fail closed: an approved secure study never sends a plain update.
        out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " sends updates for this"
            + " study only through secure aggregation, and no secure round " + f.round() + " was announced"));
        return;
      }
      if (f.modelVersion() != f.round() - 1) {
        secure.remove(f.studyId());
        out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " trains round " + f.round() + " only from model"
            + " version " + (f.round() - 1) + ", not " + f.modelVersion()));
        return;
      }
      java.util.Optional<String> again = journal.refusalForModel(study, f.round(), globalSha256);
      if (again.isPresent()) {
        secure.remove(f.studyId());
        log.warn("study {}: refusing round {}: {}", study, f.round(), again.get());
        out.send(new AgentMessage.RoundFailed(study, f.round(), "round refused by " + siteId + ": " + again.get()));
        return;
      }
    }
    if (p.oneClassTraining()) {
      secure.remove(f.studyId());
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " does not train: its training split holds one"
          + " class only of label.column '" + p.spec.labelColumn() + "' = label.positive '" + p.spec.labelPositive()
          + "' (raise minCellSize in its policy, or the study's label picks out too few patients)"));
      return;
    }
    if (f.round() > p.spec.training().rounds()) {
      // A coordinator asking for more rounds than approved would also spend privacy budget nobody agreed to.
      out.send(new AgentMessage.RoundFailed(study, f.round(), siteId + " approved "
          + p.spec.training().rounds() + " rounds of this study, not round " + f.round()));
      return;
    }
    if (!secureStudy && f.round() > 1 && p.trainedLast(f.round() - 1)) {
      // A plain update goes on to the next round only once the last one's receipt was checked (or did not come). A
      // coordinator discards a plain update that misses the round's deadline without an entry, so a missing receipt
      // here is an alarm for the data officer to compare with the round record, not a halt.
      receipts.awaitReceipt(study, f.round() - 1, StudyContext.receiptWait(p.spec)).ifPresent(why -> receipts.missing(study, f.round() - 1,
          why + " (if the study's round record shows this site dropped, its update was not used)"));
    }
    boolean resend = !secureStudy && p.mechanism != null && p.trainedBefore(f.round(), global);
    String overBudget = resend ? null : out.budgetRefusal(p.terms());
    if (overBudget != null) {
      log.warn("study {}: round {}: {}", study, f.round(), overBudget);
      secure.remove(f.studyId());
      out.send(new AgentMessage.RoundFailed(study, f.round(), overBudget));
      return;
    }
    // Every check passed: evaluate the model this round starts from (once per version, provenance checked), then train.
    evaluations.evaluate(p, f.modelVersion(), global, globalSha256, secureStudy);
    TrainOutcome o;
    if (resend) {
      // A plain study's retried attempt from the same model: resend the update already trained (and accounted) instead
      // of training again, which would spend budget twice for one round. (The coordinator reads plain updates one by
      // one anyway; a secure study always trains again, with fresh randomness.)
      o = p.lastOutcome();
      out.send(privacySpent(p, f.round()));
    } else {
      long trainStart = System.nanoTime();
      o = p.train(global, globalSha256, f.round());
      ctx.metrics().trained(System.nanoTime() - trainStart);
      if (p.mechanism != null && !accountPrivacy(p, f.round(), o)) return;
    }
    // With DP-SGD the training loss is a function of the sampled rows with no noise: it does not leave.
    double loss = p.mechanism != null ? 0 : o.meanLoss();
    if (c != null) {
      c.trained(global, globalSha256, o.parameters(), loss, out);
      log.info("study {}: round {} trained on {} rows in {} ms (loss {}); waiting to mask it", f.studyId(), f.round(),
          p.trainRows(), (System.nanoTime() - t0) / 1_000_000, String.format("%.4f", o.meanLoss()));
      return;
    }
    byte[] update = Frames.encode(Frames.Kind.SITE_UPDATE, f.studyId(), f.round(), f.modelVersion(),
        o.examplesSeen() > 0 ? p.trainRows() : 0, p.mechanism != null ? Float.NaN : (float) o.meanLoss(), o.parameters());
    byte[] signature = identity.sign(Purpose.CONTRIBUTION, study, f.round(), Frames.signedDigest(update));
    receipts.sent(study, f.round(), signature);
    out.sendBinary(Frames.withSignature(update, signature));
    log.info("study {}: round {} trained on {} rows in {} ms (loss {})", f.studyId(), f.round(), p.trainRows(),
        (System.nanoTime() - t0) / 1_000_000, String.format("%.4f", o.meanLoss()));
  }

  /** Records the round's noisy steps (on disk, before anything leaves) and tells the coordinator the ε spent. */
  private boolean accountPrivacy(StudyParticipation p, int round, TrainOutcome o) {
    String study = p.studyId.toString();
    double epsilon;
    try {
      epsilon = budget.record(study, p.mechanism, o.noisySteps());
    } catch (IOException e) {
      log.error("study {}: round {}: cannot record the privacy spent ({}); sending no update", study, round, e.toString());
      secure.remove(p.studyId);
      out.send(new AgentMessage.RoundFailed(study, round, siteId + " cannot record the privacy budget it spent: " + e.getMessage()));
      return false;
    }
    out.accounted(study, round, o.noisySteps());
    log.info("study {}: round {}: DP-SGD with σ = {}, C = {}, q = {}: ε = {} at δ = {} after {} noisy steps", study, round,
        String.format("%.3f", p.dp.noiseMultiplier()), p.dp.clipNorm(), String.format("%.4f", p.dp.samplingRate()),
        String.format("%.3f", epsilon), p.mechanism.delta(), p.stepsPerRound * round);
    out.send(privacySpent(p, round));
    return true;
  }

  /** What this study has spent here so far, for the coordinator. */
  private AgentMessage.PrivacySpent privacySpent(StudyParticipation p, int round) {
    String study = p.studyId.toString();
    return new AgentMessage.PrivacySpent(study, round, budget.spent(study), p.mechanism.delta(), p.dp.noiseMultiplier(),
        p.dp.samplingRate(), budget.steps(study));
  }
}
