package org.dure.agent.chain;

import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;
import org.dure.crypto.secagg.RoundContext;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;

/**
 * Secure aggregation as a filter: a secure study's contribution leaves only as a masked input (never as a plain
 * update), and no secure-aggregation message or masked input leaves for a study this site approved without it.
 */
public final class SecureAggregationFilter implements SiteFilter {
  private final String siteId;

  SecureAggregationFilter(String siteId) {
    this.siteId = siteId;
  }

  @Override public FilterName name() {
    return FilterName.SECURE_AGGREGATION;
  }

  @Override public Verdict inspect(Outgoing out, StudyTerms t) {
    boolean plainUpdate = out instanceof Outgoing.Frame f && f.header().kind() == Frames.Kind.SITE_UPDATE;
    boolean secureMessage = out instanceof Outgoing.Frame f && f.header().kind() == Frames.Kind.MASKED_INPUT
        || out instanceof Outgoing.Json j && (j.message() instanceof AgentMessage.SecAggKeys
            || j.message() instanceof AgentMessage.SecAggShares || j.message() instanceof AgentMessage.SecAggReveal);
    if (!plainUpdate && !secureMessage) return Verdict.notApplicable();
    if (t == null) return new Verdict.Refused("no approved terms for the study at this site");
    if (t.secure() && plainUpdate) {
      return new Verdict.Refused(siteId + " sends updates for this study only through secure aggregation");
    }
    if (!t.secure() && secureMessage) {
      return new Verdict.Refused("the study this site approved does not use secure aggregation");
    }
    return plainUpdate ? Verdict.notApplicable() : Verdict.passed(out); // a plain study's update is not masked
  }

  /**
   * Why this site sits out an announced secure-aggregation attempt (the announcement breaks what the approved study
   * requires: roster, threshold, mask neighbours, clip, the total of training rows), or null.
   */
  String announcementRefusal(StudyTerms t, long trainRows, CoordinatorMessage.SecAggStart start) {
    PrivacyPlan.SecureAggregation plan = t.privacy().secureAggregation();
    if (!plan.enabled()) return "the study this site approved does not use secure aggregation";
    int n = start.roster().size();
    RoundContext context;
    try {
      context = new RoundContext(t.studyId(), start.round(), start.attempt(), start.roster(), start.threshold(),
          start.neighbours());
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    if (!context.contains(siteId)) return "this site is not in the round's roster";
    int needed = plan.thresholdFor(n, t.spec().minSites());
    if (start.threshold() < needed) {
      return "the coordinator announced threshold " + start.threshold() + " for " + n + " sites, below the " + needed
          + " the approved study requires";
    }
    if (context.neighbours() < RoundContext.defaultNeighbours(n)) {
      return "the coordinator announced " + context.neighbours() + " mask neighbours for " + n + " sites, fewer than the "
          + RoundContext.defaultNeighbours(n) + " this site requires";
    }
    if (Double.compare(start.clip(), plan.clip()) != 0) {
      return "the coordinator announced clip " + start.clip() + ", the approved study says " + plan.clip();
    }
    if (start.totalSamples() < trainRows || trainRows < 1) {
      return "the announced total of " + start.totalSamples() + " training rows is less than this site's " + trainRows
          + "; the weights would overflow";
    }
    return null;
  }

  @Override public String settings(String studyId, StudySpec spec) {
    PrivacyPlan.SecureAggregation s = spec.privacy().secureAggregation();
    return s.enabled() ? "on: updates leave only masked (threshold " + (s.threshold() > 0 ? String.valueOf(s.threshold())
        : "automatic, a majority of the roster") + ", element clip " + ClipNoiseFilter.fmt(s.clip()) + ")" : "off: plain updates";
  }
}
