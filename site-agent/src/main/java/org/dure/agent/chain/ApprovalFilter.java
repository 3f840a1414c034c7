package org.dure.agent.chain;

import java.util.Set;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.policy.StudyDecisions.Status;
import org.dure.agent.policy.StudyDecisions.StudyRecord;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;

/**
 * The data officer's decisions as a filter: nothing but the signed withdrawal leaves for a study this site withdrew
 * from, and anything carrying data or a contribution leaves only for a study approved in the officer's record.
 */
public final class ApprovalFilter implements SiteFilter {
  private final StudyDecisions decisions;
  /** Studies this site withdrew from, checked on every send from any thread (the record may lag by a write). */
  private final Set<String> withdrawn = java.util.concurrent.ConcurrentHashMap.newKeySet();

  ApprovalFilter(StudyDecisions decisions) {
    this.decisions = java.util.Objects.requireNonNull(decisions, "decisions");
  }

  /** From here on nothing more but the withdrawal leaves for {@code studyId}. */
  void withdrawn(String studyId) {
    withdrawn.add(studyId);
  }

  boolean isWithdrawn(String studyId) {
    return withdrawn.contains(studyId);
  }

  @Override public FilterName name() {
    return FilterName.APPROVAL;
  }

  @Override public Verdict inspect(Outgoing out, StudyTerms terms) {
    String study = out.studyId();
    if (study == null) return Verdict.notApplicable();
    boolean withdrawal = out instanceof Outgoing.Json j && j.message() instanceof AgentMessage.StudyWithdrawn;
    if (withdrawal) {
      StudyRecord r = decisions.get(study).orElse(null);
      return r != null && r.status() == Status.WITHDRAWN ? Verdict.passed(out)
          : new Verdict.Refused("the officer's record does not show the study withdrawn");
    }
    if (withdrawn.contains(study)) return new Verdict.Refused("withdrawn", true);
    if (!carriesData(out)) return Verdict.passed(out);
    StudyRecord r = decisions.get(study).orElse(null);
    if (r == null || r.status() != Status.APPROVED) {
      return new Verdict.Refused("the study is " + (r == null ? "unknown to" : r.status().name().toLowerCase() + " at")
          + " this site, not approved");
    }
    return Verdict.passed(out);
  }

  /** Whether the message carries this site's data, figures or contribution (not merely an answer or a reason). */
  private static boolean carriesData(Outgoing out) {
    if (out instanceof Outgoing.Frame) return true;
    AgentMessage m = ((Outgoing.Json) out).message();
    return !(m instanceof AgentMessage.StudyDeclined || m instanceof AgentMessage.StudyPending
        || m instanceof AgentMessage.RoundFailed);
  }

  @Override public String settings(String studyId, StudySpec spec) {
    StudyRecord r = decisions.get(studyId).orElse(null);
    String status = r == null ? "unknown" : r.status().name();
    return "status " + status + (withdrawn.contains(studyId) || r != null && r.status() == Status.WITHDRAWN
        ? " (nothing but the withdrawal leaves)" : r != null && r.status() == Status.APPROVED ? " (its data may leave)"
        : " (nothing of its data leaves)");
  }
}
