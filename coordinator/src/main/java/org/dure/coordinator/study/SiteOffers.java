package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.CoordinatorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offers the study to sites and keeps each offer's deadline: a site that neither accepts, declines nor says its data
 * officer decides within {@code offerDeadlineSeconds} (an agent that failed on the offer) is marked
 * {@link ParticipationState#NO_ANSWER} and counted out until it answers (it is offered again when it reconnects).
 */
final class SiteOffers {
  private static final Logger log = LoggerFactory.getLogger(SiteOffers.class);

  private final Vertx vertx;
  private final String studyId;
  private final StudySpec spec;
  private final SiteRoster roster;
  private final Runnable persist;
  private final Runnable deadlinePassed;
  /** Per site offered the study and not yet answering: the timer of its offer deadline. */
  private final Map<String, Long> timers = new HashMap<>();
  private boolean closed;

  /** {@code deadlinePassed} runs after a site is counted out for its silence. */
  SiteOffers(Vertx vertx, String studyId, StudySpec spec, SiteRoster roster, Runnable persist, Runnable deadlinePassed) {
    this.vertx = vertx;
    this.studyId = studyId;
    this.spec = spec;
    this.roster = roster;
    this.persist = persist;
    this.deadlinePassed = deadlinePassed;
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
    persist.run();
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

  private void awaitAnswer(String site) {
    answered(site);
    int seconds = spec.offerDeadlineSeconds();
    timers.put(site, vertx.setTimer(seconds * 1000L, x -> {
      timers.remove(site);
      if (closed || !roster.is(site, ParticipationState.OFFERED)) return;
      log.warn("study {}: site {} did not answer the offer within {} s", studyId, site, seconds);
      roster.mark(site, ParticipationState.NO_ANSWER, "did not answer the offer within " + seconds
          + " s (offerDeadlineSeconds); not taking part unless it answers later");
      deadlinePassed.run();
    }));
  }
}
