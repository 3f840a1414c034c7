package org.dure.agent.chain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dure.agent.policy.LocalPolicy;
import org.dure.agent.policy.StudyDecisions;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's privacy controls as one ordered chain of site-owned filters — policy, approval, budget, clipping and
 * noise, secure aggregation — that every message of the study work passes before the outbound ledger records and
 * sends it; each filter fails closed (a refusal or an exception: nothing is sent, and the reason is logged), and the
 * ledger records which filters the message went through.
 */
public final class PrivacyChain {
  private static final Logger log = LoggerFactory.getLogger(PrivacyChain.class);

  /**
   * Where a message goes once every filter let it pass: the outbound ledger and the connection, which record the
   * filters' names (in order) with the message and send nothing they cannot record.
   */
  public interface Sink {
    boolean send(AgentMessage message, List<String> filters);

    boolean sendBinary(byte[] frame, List<String> filters);
  }

  private final PolicyFilter policy;
  private final ApprovalFilter approval;
  private final BudgetFilter budget;
  private final ClipNoiseFilter clipNoise = new ClipNoiseFilter();
  private final SecureAggregationFilter secureAggregation;
  /** In the order every message passes them. */
  private final List<SiteFilter> filters;
  private final Sink next;
  /** What this site approved of each study it works on (any thread). */
  private final Map<String, StudyTerms> terms = new java.util.concurrent.ConcurrentHashMap<>();

  public PrivacyChain(String siteId, LocalPolicy policy, StudyDecisions decisions, PrivacyBudget budget, Sink next) {
    this.policy = new PolicyFilter(policy, siteId);
    this.approval = new ApprovalFilter(decisions);
    this.budget = new BudgetFilter(budget, siteId);
    this.secureAggregation = new SecureAggregationFilter(siteId);
    this.filters = List.of(this.policy, approval, this.budget, clipNoise, secureAggregation);
    this.next = java.util.Objects.requireNonNull(next, "next");
  }

  /** The filters in order (the ledger, last, is the sink). */
  public List<SiteFilter> filters() {
    return filters;
  }

  /** A study passed the policy's rules and was approved: its messages are checked against these terms from now on. */
  public void admit(StudyTerms t) {
    terms.put(t.studyId(), t);
  }

  /** The study's work here is over (ended, withdrawn, closed): its contributions no longer pass. */
  public void forget(String studyId) {
    terms.remove(studyId);
    budget.forget(studyId);
    clipNoise.forget(studyId);
  }

  /** The officer withdrew the site from the study: from now on only the withdrawal leaves for it. */
  public void withdrawn(String studyId) {
    approval.withdrawn(studyId);
  }

  public boolean isWithdrawn(String studyId) {
    return approval.isWithdrawn(studyId);
  }

  /** The round's DP-SGD steps are recorded in the privacy budget (on disk): its contribution may pass the budget. */
  public void accounted(String studyId, int round, long noisySteps) {
    budget.accounted(studyId, round);
    clipNoise.trained(studyId, round, noisySteps);
  }

  /** Why the site must not train the study's next round (a cap or the study's target would be passed), or null. */
  public String budgetRefusal(StudyTerms t) {
    return budget.refusalBeforeRound(t);
  }

  /** Why a secure round with this roster is too small for the site's policy (minSecureRoster), or null. */
  public String rosterRefusal(int rosterSize) {
    return policy.rosterRefusal(rosterSize);
  }

  /** Why an unmask request naming this many survivors is too small for the site's policy, or null. */
  public String survivorsRefusal(int survivors) {
    return policy.survivorsRefusal(survivors);
  }

  /**
   * Why this site sits out an announced secure-aggregation attempt: the secure-aggregation filter's checks of the
   * announcement against the approved study, then whether the clip-noise filter's site-level noise fits it; or null.
   */
  public String secureRoundRefusal(StudyTerms t, long trainRows, org.dure.protocol.wire.CoordinatorMessage.SecAggStart start) {
    String why = secureAggregation.announcementRefusal(t, trainRows, start);
    return why != null ? why : clipNoise.announcementRefusal(t, start.threshold());
  }

  /** Adds a secure study's site-level noise to the clipped model change {@code x[0, n)} (see {@link ClipNoiseFilter}). */
  public void addSiteNoise(String studyId, int round, float[] x, int n, org.dure.protocol.study.PrivacyPlan.SiteLevelNoise noise,
                           int threshold) {
    clipNoise.addSiteNoise(studyId, round, x, n, noise, threshold);
  }

  /** Sends a JSON message through every filter; false when a filter stopped it or the sink could not send it. */
  public boolean send(AgentMessage message) {
    Cleared c = pass(new Outgoing.Json(message));
    return c != null && next.send(((Outgoing.Json) c.message()).message(), c.filters());
  }

  /** Sends a binary frame through every filter; false when a filter stopped it or the sink could not send it. */
  public boolean sendBinary(byte[] frame) {
    Outgoing out;
    try {
      out = Outgoing.Frame.of(frame);
    } catch (RuntimeException e) {
      log.error("NOT sending a {}-byte binary message: it is not a model frame ({})", frame.length, e.getMessage());
      return false;
    }
    Cleared c = pass(out);
    return c != null && next.sendBinary(((Outgoing.Frame) c.message()).bytes(), c.filters());
  }

  /** A message every filter let pass (maybe rewritten), and the names of those that checked it, in order. */
  private record Cleared(Outgoing message, List<String> filters) {}

  /**
   * Runs the message through the filters in order; returns what leaves (maybe rewritten), or null when a filter
   * refused it or threw (fail closed), after logging why.
   */
  private Cleared pass(Outgoing out) {
    StudyTerms t = out.studyId() == null ? null : terms.get(out.studyId());
    List<String> passed = new ArrayList<>();
    for (SiteFilter f : filters) {
      Verdict v;
      try {
        v = f.inspect(out, t);
      } catch (RuntimeException e) {
        v = new Verdict.Refused("the filter failed: " + e);
      }
      if (v instanceof Verdict.Refused r) {
        String what = out instanceof Outgoing.Json j ? j.message().getClass().getSimpleName()
            : ((Outgoing.Frame) out).header().kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " frame";
        if (r.routine()) log.info("study {}: {}; not sending {}", out.studyId(), r.reason(), what);
        else log.warn("study {}: NOT sending {}: the site's {} filter refused it: {}", out.studyId(), what,
            f.name().wire(), r.reason());
        return null;
      }
      if (v instanceof Verdict.Passed p) {
        out = p.message();
        passed.add(f.name().wire());
      }
    }
    return new Cleared(out, List.copyOf(passed));
  }

  /**
   * The chain as it runs for one study, one line per filter in order (its settings), for {@code dure agent studies}.
   *
   * @param outboundLedger where the last stage records every message
   */
  public List<String> describe(String studyId, StudySpec spec, String outboundLedger) {
    List<String> lines = new ArrayList<>();
    int i = 1;
    for (SiteFilter f : filters) {
      String s;
      try {
        s = f.settings(studyId, spec);
      } catch (RuntimeException e) {
        s = "cannot be read (" + e.getMessage() + ")";
      }
      lines.add(i++ + ". " + f.name().wire() + ": " + s);
    }
    lines.add(i + ". " + FilterName.OUTBOUND_LEDGER.wire() + ": every message recorded (with the filters it went through)"
        + " and synced to " + outboundLedger + " before it is sent");
    return lines;
  }
}
