package org.dure.coordinator.study;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes what the sites do in one study — connect, disconnect, each message by its type, each frame — once, to the
 * answer, phase or round attempt it concerns.
 */
final class SiteEvents {
  private static final Logger log = LoggerFactory.getLogger(SiteEvents.class);

  private final StudyRunner study;
  private final String id;
  private final SiteRoster roster;
  private final SiteAnswers answers;
  private final RoundHistory history;
  private final Map<Class<?>, BiConsumer<SiteSession, AgentMessage>> routes = new HashMap<>();

  SiteEvents(StudyRunner study, SiteRoster roster, SiteAnswers answers, RoundHistory history) {
    this.study = study;
    this.id = study.id();
    this.roster = roster;
    this.answers = answers;
    this.history = history;
    route(AgentMessage.StudyAccepted.class, (s, m) -> { if (!endedAlready(s, m) && study.status().active()) answers.accepted(s, m); });
    route(AgentMessage.StudyPending.class, (s, m) -> { if (study.status().active()) answers.pending(s, m); });
    route(AgentMessage.StudyDeclined.class, (s, m) -> { if (!endedAlready(s, m)) answers.declined(s, m); });
    route(AgentMessage.StudyWithdrawn.class, (s, m) -> { if (!endedAlready(s, m)) answers.withdrawn(s, m); });
    route(AgentMessage.Statistics.class, this::statistics);
    route(AgentMessage.EvaluationReport.class, (s, m) -> {
      history.evaluation(s.siteId(), m.modelVersion(), m.evaluation(), study.completedRounds(), study.startedAt());
      if (study.phase() instanceof FinalEvaluation f) f.evaluated(s.siteId(), m.modelVersion());
    });
    route(AgentMessage.ValidationReport.class, (s, m) -> { if (study.phase() instanceof FinalEvaluation f) f.report(s.siteId(), m); });
    route(AgentMessage.PrivacySpent.class, (s, m) -> {
      if (study.phase() instanceof StudyPhase.Training t && t.attempt().round() == m.round() && Double.isFinite(m.epsilon())
          && m.epsilon() >= 0) t.epsilon().put(s.siteId(), m.epsilon());
    });
    route(AgentMessage.RoundFailed.class, this::roundFailed);
    BiConsumer<SiteSession, AgentMessage> secure = (s, m) -> {
      if (study.phase() instanceof StudyPhase.Training t) t.attempt().message(s, m);
    };
    routes.put(AgentMessage.SecAggKeys.class, secure);
    routes.put(AgentMessage.SecAggShares.class, secure);
    routes.put(AgentMessage.SecAggReveal.class, secure);
  }

  void connected(SiteSession s) {
    if (study.status().active() && !study.preparing()) { // once prepared, every connected site is offered the study
      answers.offer(s);
      study.persist();
    }
    if (study.phase() instanceof AwaitingSites a) a.check(); // the status names it as answering, no longer offline
  }

  void disconnected(SiteSession s) {
    String site = s.siteId();
    boolean wasReady = roster.notReady(site);
    answers.answered(site); // offered again when it reconnects, with a new offer deadline
    StudyPhase phase = study.phase();
    if (phase.expects(site)) {
      String why = phase.droppedOnDisconnect();
      if (why != null) roster.mark(site, ParticipationState.DROPPED, why);
      phase.siteLeft(site, why == null ? "disconnected" : why);
    } else {
      if (wasReady) roster.mark(site, ParticipationState.DROPPED, "disconnected");
      if (phase instanceof AwaitingSites a) a.check();
    }
  }

  /** A site's message, to its handler (one per message type; Hello is the registry's). */
  void message(SiteSession s, AgentMessage m) {
    BiConsumer<SiteSession, AgentMessage> handler = routes.get(m.getClass());
    if (handler != null) handler.accept(s, m);
  }

  void frame(SiteSession s, Frames.Frame frame) {
    if (frame instanceof Frames.ModelFrame f && f.kind() != Frames.Kind.SITE_UPDATE) {
      s.send(new CoordinatorMessage.Refused("sites may only send SITE_UPDATE or MASKED_INPUT frames"));
    } else if (study.phase() instanceof StudyPhase.Training t) {
      t.attempt().frame(s, frame);
    } else {
      log.info("study {}: ignoring a late or unexpected {} from {}", id,
          frame instanceof Frames.MaskedFrame ? "masked input" : "update", s.siteId());
    }
  }

  private <T extends AgentMessage> void route(Class<T> type, BiConsumer<SiteSession, T> handler) {
    routes.put(type, (s, m) -> handler.accept(s, type.cast(m)));
  }

  /** An answer to the offer of an ended study: its participation record stays as it was; the site learns it is over. */
  private boolean endedAlready(SiteSession s, AgentMessage m) {
    if (!study.status().terminal()) return false;
    log.warn("study {}: ignoring {} from {}: the study is {}", id, m.getClass().getSimpleName(), s.siteId(), study.status());
    s.send(new CoordinatorMessage.StudyEnded(id, study.status().name(), study.statusReason()));
    return true;
  }

  private void statistics(SiteSession s, AgentMessage.Statistics st) {
    if (!(study.phase() instanceof StatisticsCollection c) || !c.expects(s.siteId())) return;
    roster.put(s.siteId(), new SiteParticipation(ParticipationState.ACCEPTED, null, st.statistics().rowsUsed(), st.statistics()));
    c.received(s.siteId(), st.statistics());
  }

  private void roundFailed(SiteSession s, AgentMessage.RoundFailed f) {
    if (!(study.phase() instanceof StudyPhase.Training t) || t.attempt().round() != f.round()
        || !t.attempt().takesPart(s.siteId())) return;
    log.warn("study {}: site {} failed round {}: {}", id, s.siteId(), f.round(), f.reason());
    t.attempt().siteLeft(s.siteId(), "training failed: " + f.reason());
  }
}
