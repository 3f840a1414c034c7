package org.dure.agent.study;

import java.io.IOException;
import java.util.UUID;
import org.dure.agent.chain.PrivacyChain;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends this site's evaluations of global models and its validation report, each only for a model the protocol
 * produced for it and only under the site's minimum cell size.
 */
final class Evaluations {
  private static final Logger log = LoggerFactory.getLogger(Evaluations.class);
  private final StudyContext ctx;
  private final PrivacyChain out;
  private final Approvals approvals;
  private final ContributionJournal journal;
  private final java.util.Map<UUID, StudyParticipation> studies;

  Evaluations(StudyContext c) {
    this.ctx = c;
    this.out = c.out;
    this.approvals = c.approvals;
    this.journal = c.journal;
    this.studies = c.studies;
  }

  /**
   * Evaluates a global model on the validation split and sends the result — only for a model the protocol produced
   * for this site, and once per version: the same version again gets the same answer, another model under a version
   * already evaluated gets none. Metrics leave only under the site's minimum cell size ({@link SmallCells}).
   */
  void evaluate(StudyParticipation p, int version, float[] model, String sha, boolean secureStudy) {
    String study = p.studyId.toString();
    String before = journal.evaluated(study, version);
    if (before != null) {
      Evaluation again = before.equals(sha) ? p.evaluated(version) : null;
      if (again == null) log.warn("study {}: not evaluating model version {} again: {}", study, version, before.equals(sha)
          ? "it was evaluated before this agent restarted" : "another model was already evaluated under that version here");
      out.send(new AgentMessage.EvaluationReport(study, version, again != null ? again : SmallCells.withheld()));
      return;
    }
    java.util.function.IntPredicate tookPart = secureStudy ? u -> journal.revealedRound(study, u) : p::trainedLast;
    String why = p.provenanceRefusal(version, model, tookPart);
    if (why != null) {
      // An answer that carries nothing keeps the protocol moving; the pooled metrics leave this site out.
      log.warn("study {}: not evaluating model version {}: {}", study, version, why);
      out.send(new AgentMessage.EvaluationReport(study, version, SmallCells.withheld()));
      return;
    }
    try {
      journal.evaluatedNow(study, version, sha);
    } catch (IOException e) {
      log.error("study {}: cannot record the evaluation of model version {} ({}); not evaluating", study, version, e.toString());
      out.send(new AgentMessage.EvaluationReport(study, version, SmallCells.withheld()));
      return;
    }
    Evaluation eval = p.evaluate(model, version, approvals.policy.minCellSize());
    out.send(new AgentMessage.EvaluationReport(study, version, eval));
  }

  /** The validation report's counts for the final model (aggregate counts only; small subgroups suppressed). */
  void report(CoordinatorMessage.ReportRequest r) {
    StudyParticipation p = studies.get(UUID.fromString(r.studyId()));
    if (p == null) return;
    int cells = approvals.policy.minCellSize();
    out.send(p.report(r.modelVersion(), cells, approvals.policy::bandsFor));
    log.info("study {}: sent the validation report for model version {} (subgroups under {} rows suppressed)",
        r.studyId(), r.modelVersion(), cells);
  }
}
