package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The offer of a study and the sites' answers to it: sends the offer, keeps each offer's deadline (a site silent for
 * {@code offerDeadlineSeconds} is counted out as {@link ParticipationState#NO_ANSWER} until it answers), and takes each
 * approval (verified), pending decision, refusal and withdrawal (verified) into the roster and the ledger.
 */
final class SiteAnswers {
  private static final Logger log = LoggerFactory.getLogger(SiteAnswers.class);

  /** What the study does about an answer beyond the roster and the ledger; called on the event loop. */
  interface Study {
    /** A site's approval verified (it may be a repeat on a new connection). */
    void approved(SiteSession site);

    /** A site withdrew for good ({@code why} names its reason): it leaves whatever phase the study is in. */
    void withdrew(String site, String why);

    /** The roll of sites changed (an answer came or an offer deadline passed): persist it and look at the wait. */
    void changed();
  }

  private final Vertx vertx;
  private final String studyId;
  private final StudySpec spec;
  private final byte[] specSha256;
  private final SiteRoster roster;
  private final ParticipationLedger ledger;
  private final Study study;
  /** Per site offered the study and not yet answering: the timer of its offer deadline. */
  private final Map<String, Long> timers = new HashMap<>();
  private boolean closed;

  SiteAnswers(Vertx vertx, String studyId, StudySpec spec, SiteRoster roster, ParticipationLedger ledger, Study study) {
    this.vertx = vertx;
    this.studyId = studyId;
    this.spec = spec;
    this.specSha256 = spec.sha256();
    this.roster = roster;
    this.ledger = ledger;
    this.study = study;
  }

  /** Sends the study to the site (never again to a withdrawn one); a site that has not accepted must answer in time. */
  void offer(SiteSession s) {
    String site = s.siteId();
    SiteParticipation p = roster.get(site);
    if (p != null && p.state() == ParticipationState.WITHDRAWN) return; // for good
    if (p == null || p.state() != ParticipationState.ACCEPTED) {
      roster.put(site, new SiteParticipation(ParticipationState.OFFERED, null, 0, p == null ? null : p.statistics()));
      awaitAnswer(site);
    }
    s.send(new CoordinatorMessage.StudyOffer(studyId, spec.toJson()));
  }

  /** The site answered the offer (or left it): its offer deadline no longer runs. */
  void answered(String site) {
    Long timer = timers.remove(site);
    if (timer != null) vertx.cancelTimer(timer);
  }

  /** The study ended: no deadline runs any more. */
  void close() {
    closed = true;
    timers.values().forEach(vertx::cancelTimer);
    timers.clear();
  }

  void accepted(SiteSession s, AgentMessage.StudyAccepted a) {
    String site = s.siteId();
    if (roster.is(site, ParticipationState.WITHDRAWN)) {
      log.warn("study {}: ignoring an approval from {}, which withdrew from the study", studyId, site);
      return;
    }
    String problem = SiteStatements.approvalProblem(s, studyId, specSha256, a);
    if (problem != null) {
      log.warn("study {}: refusing the approval of site {}: {}", studyId, site, problem);
      roster.put(site, new SiteParticipation(ParticipationState.REFUSED, "approval not accepted: " + problem, 0, null));
      s.send(new CoordinatorMessage.Refused("study " + studyId + ": approval not accepted: " + problem));
      study.changed();
      return;
    }
    SiteParticipation old = roster.get(site);
    if (old == null || old.state() != ParticipationState.ACCEPTED)
      ledger.siteApproved(studyId, site, a.rows(), HexFormat.of().formatHex(specSha256), a.signature());
    roster.put(site, new SiteParticipation(ParticipationState.ACCEPTED, null, a.rows(), old == null ? null : old.statistics(),
        a.minSecureRoster()));
    answered(site);
    roster.back(site); // a site that (re)approves on a new connection may join the retry
    log.info("study {}: site {} accepted ({} rows)", studyId, site, a.rows());
    study.approved(s);
    study.changed();
  }

  void pending(SiteSession s, AgentMessage.StudyPending p) {
    String site = s.siteId();
    if (!(roster.is(site, ParticipationState.OFFERED) || roster.is(site, ParticipationState.NO_ANSWER))) return;
    answered(site);
    roster.put(site, new SiteParticipation(ParticipationState.PENDING, p.reason(), 0, null));
    log.info("study {}: site {} awaits its data officer's decision", studyId, site);
    study.changed();
  }

  void declined(SiteSession s, AgentMessage.StudyDeclined d) {
    String site = s.siteId();
    roster.put(site, new SiteParticipation(ParticipationState.DECLINED, d.reason(), 0, null));
    answered(site);
    ledger.siteRefused(studyId, site, d.reason());
    log.info("study {}: site {} declined: {}", studyId, site, d.reason());
    study.changed();
  }

  /**
   * The site's data officer withdrew it: like a site leaving for good. It is never offered the study or a round
   * again, and the signed withdrawal goes into the ledger.
   */
  void withdrawn(SiteSession s, AgentMessage.StudyWithdrawn w) {
    String site = s.siteId();
    if (roster.is(site, ParticipationState.WITHDRAWN)) return;
    String problem = SiteStatements.withdrawalProblem(s, studyId, w);
    if (problem != null) {
      log.warn("study {}: refusing the withdrawal of site {}: {}", studyId, site, problem);
      s.send(new CoordinatorMessage.Refused("study " + studyId + ": withdrawal not accepted: " + problem));
      return;
    }
    String why = "withdrawn by the site: " + w.reason();
    log.warn("study {}: site {} {}", studyId, site, why);
    roster.notReady(site);
    roster.put(site, new SiteParticipation(ParticipationState.WITHDRAWN, why, 0, null));
    ledger.siteWithdrew(studyId, site, w.reason(), w.signature());
    study.withdrew(site, why);
  }

  private void awaitAnswer(String site) {
    answered(site);
    int seconds = spec.offerDeadlineSeconds();
    timers.put(site, vertx.setTimer(seconds * 1000L, x -> {
      timers.remove(site);
      if (closed || !roster.is(site, ParticipationState.OFFERED)) return;
      log.warn("study {}: site {} did not answer the offer within {} s", studyId, site, seconds);
      roster.mark(site, ParticipationState.NO_ANSWER, "did not answer the offer within " + seconds
          + " s (offerDeadlineSeconds); not taking part unless it answers later");
      study.changed();
    }));
  }
}
