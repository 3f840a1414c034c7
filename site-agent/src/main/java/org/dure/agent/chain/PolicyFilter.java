package org.dure.agent.chain;

import java.util.Optional;
import org.dure.agent.policy.LocalPolicy;
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;

/**
 * The data officer's local policy as a filter: an approval leaves only for a study the policy's rules (and its cohort
 * rule) allow, and this site's validation metrics leave only if the policy lets per-site metrics leave (else an empty
 * answer goes instead).
 */
public final class PolicyFilter implements SiteFilter {
  private final LocalPolicy policy;
  private final String siteId;

  PolicyFilter(LocalPolicy policy, String siteId) {
    this.policy = java.util.Objects.requireNonNull(policy, "policy");
    this.siteId = siteId;
  }

  /** An evaluation that carries nothing: the coordinator's pooled metrics are computed without this site. */
  public static Evaluation withheld() {
    return new Evaluation(0, 0, Double.NaN, Double.NaN, Double.NaN, ScoreHistogram.empty());
  }

  /** Why a secure round of {@code rosterSize} sites is too small for this site's policy (minSecureRoster), or null. */
  String rosterRefusal(int rosterSize) {
    if (rosterSize >= policy.minSecureRoster()) return null;
    return "the round's roster has " + rosterSize + " sites, fewer than the " + policy.minSecureRoster()
        + " this site's policy requires (minSecureRoster): in a smaller sum each site's update is too close to the sum";
  }

  /** Why an unmask request naming {@code survivors} sites is too small for this site's policy, or null. */
  String survivorsRefusal(int survivors) {
    if (survivors >= policy.minSecureRoster()) return null;
    return "the unmask request names " + survivors + " survivors, fewer than the " + policy.minSecureRoster()
        + " this site's policy requires (minSecureRoster)";
  }

  @Override public FilterName name() {
    return FilterName.POLICY;
  }

  @Override public Verdict inspect(Outgoing out, StudyTerms terms) {
    if (!(out instanceof Outgoing.Json json)) return Verdict.notApplicable();
    AgentMessage m = json.message();
    if (m instanceof AgentMessage.StudyAccepted a) {
      if (terms == null) return new Verdict.Refused("the study was not admitted past the local policy's rules");
      Optional<String> rule = policy.refusal(terms.spec(), a.rows()); // its rules, then the cohort rule
      return rule.isPresent() ? new Verdict.Refused(rule.get()) : Verdict.passed(out);
    }
    boolean keep = !policy.perSiteMetricsMayLeave();
    if (m instanceof AgentMessage.EvaluationReport e) {
      // The local policy keeps this site's validation metrics in the hospital: an empty report keeps the protocol
      // moving, and the coordinator's pooled metrics are computed without this site.
      return Verdict.passed(keep ? new Outgoing.Json(new AgentMessage.EvaluationReport(e.studyId(), e.modelVersion(),
          withheld())) : out);
    }
    if (m instanceof AgentMessage.ValidationReport v) {
      // Likewise for the validation report: any counts that would let the coordinator pool this site's figures are
      // this site's figures, so none leave; the report lists the site as withheld.
      return Verdict.passed(keep ? new Outgoing.Json(AgentMessage.ValidationReport.without(v.studyId(), v.modelVersion(),
          AgentMessage.ValidationReport.WITHHELD, siteId + "'s local policy keeps its validation metrics in the hospital",
          v.minCellSize())) : out);
    }
    return Verdict.notApplicable();
  }

  @Override public String settings(String studyId, StudySpec spec) {
    return policy.describe() + "; per-site metrics " + (policy.perSiteMetricsMayLeave() ? "may leave" : "withheld")
        + ", cells of at least " + policy.minCellSize() + " patients, secure rounds of at least " + policy.minSecureRoster()
        + " sites" + policy.refusal(spec).map(r -> "; REFUSES this study: " + r).orElse("");
  }
}
