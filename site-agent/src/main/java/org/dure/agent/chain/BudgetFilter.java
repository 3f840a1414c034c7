package org.dure.agent.chain;

import java.util.Locale;
import java.util.Set;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;

/**
 * The privacy budget as a filter: a round is not trained when it would pass a cap or the study's own target, and a
 * contribution (or the ε report) leaves only once its round's noisy steps are recorded on disk, within the caps.
 */
public final class BudgetFilter implements SiteFilter {
  private final PrivacyBudget budget;
  private final String siteId;
  /** "study/round" of the rounds whose DP-SGD steps this site recorded in the budget (any thread). */
  private final Set<String> accounted = java.util.concurrent.ConcurrentHashMap.newKeySet();

  BudgetFilter(PrivacyBudget budget, String siteId) {
    this.budget = java.util.Objects.requireNonNull(budget, "budget");
    this.siteId = siteId;
  }

  /** The round's noisy steps are in the budget file (on disk, before anything of the round leaves). */
  void accounted(String studyId, int round) {
    accounted.add(studyId + "/" + round);
  }

  void forget(String studyId) {
    accounted.removeIf(k -> k.startsWith(studyId + "/"));
  }

  /** Why this site must not train the next round of the study (a privacy cap or target would be passed), or null. */
  String refusalBeforeRound(StudyTerms t) {
    String why = budget.wouldExceed(t.studyId(), t.mechanism(), t.stepsPerRound());
    double target = t.privacy().differentialPrivacy().targetEpsilon();
    if (why == null && t.mechanism() != null && target > 0) {
      double after = budget.epsilonAfter(t.studyId(), t.mechanism(), t.stepsPerRound());
      if (after > target * (1 + 1e-9)) {
        why = String.format(Locale.ROOT, "this round would take the study to ε = %.3f at this site, above the"
            + " study's own target of %.3f", after, target);
      }
    }
    return why == null ? null : "privacy budget of " + siteId + ": " + why + "; this site sends no update";
  }

  @Override public FilterName name() {
    return FilterName.BUDGET;
  }

  @Override public Verdict inspect(Outgoing out, StudyTerms t) {
    Integer round = out instanceof Outgoing.Frame f && f.contribution() ? Integer.valueOf(f.header().round())
        : out instanceof Outgoing.Json j && j.message() instanceof AgentMessage.PrivacySpent p ? Integer.valueOf(p.round())
        : null;
    if (round == null) return Verdict.notApplicable();
    if (t == null) return new Verdict.Refused("no approved terms for the study at this site");
    if (t.mechanism() == null && !budget.caps().any()) return Verdict.notApplicable(); // no DP, no caps: nothing to count
    String over = budget.wouldExceed(t.studyId(), t.mechanism(), 0);
    if (over != null) return new Verdict.Refused(over);
    if (!accounted.contains(t.studyId() + "/" + round)) {
      return new Verdict.Refused("round " + round + "'s DP-SGD steps are not recorded in the privacy budget");
    }
    double target = t.privacy().differentialPrivacy().targetEpsilon();
    if (target > 0 && budget.spent(t.studyId()) > target * (1 + 1e-9)) {
      return new Verdict.Refused(String.format(Locale.ROOT, "the study is at ε = %.3f here, above its own target of %.3f",
          budget.spent(t.studyId()), target));
    }
    return Verdict.passed(out);
  }

  @Override public String settings(String studyId, StudySpec spec) {
    PrivacyBudget.Caps caps = budget.caps();
    double spent = budget.spent(studyId);
    double target = spec.privacy().differentialPrivacy().targetEpsilon();
    boolean dp = spec.privacy().differentialPrivacy().enabled();
    return String.format(Locale.ROOT, "ε spent %.3f in %d noisy steps%s; per-study cap %s; site total %.3f of cap %s",
        spent, budget.steps(studyId), dp && target > 0 ? String.format(Locale.ROOT, " (study target %.3f)", target)
            : dp ? "" : " (no DP: ε = ∞" + (caps.any() ? ", so a capped site refuses it)" : ")"),
        left(caps.maxEpsilonPerStudy(), spent), budget.total(), left(caps.maxEpsilonTotal(), budget.total()));
  }

  private static String left(Double cap, double spent) {
    return cap == null ? "none" : String.format(Locale.ROOT, "%.3f (%.3f left)", cap, Math.max(0, cap - spent));
  }
}
