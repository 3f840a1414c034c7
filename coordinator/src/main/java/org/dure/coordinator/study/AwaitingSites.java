package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.protocol.study.StudySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wait for enough sites, at most {@code waitForSitesSeconds}: it ends when enough accepted and every online site
 * answered, or fails the study at once when even the sites that could still accept would not be enough; meanwhile
 * the study's status names who accepted, who declined, who is silent and whom it waits for.
 */
final class AwaitingSites implements StudyPhase {
  private static final Logger log = LoggerFactory.getLogger(AwaitingSites.class);

  /** Where the wait goes; called on the event loop, once for {@link #proceed} or {@link #failed}. */
  interface Study {
    void proceed(List<String> accepted);

    void failed(String reason);

    void waiting(String statusReason);
  }

  private final String studyId;
  private final StudySpec spec;
  private final SiteRoster roster;
  private final SiteRegistry sites;
  /** Why the study waits (a round aborted, too few sites ready), or null at the start. */
  private final String context;
  private final Study study;
  private final Vertx vertx;
  private final Instant until;
  private final long timer;
  private boolean finished;

  AwaitingSites(Vertx vertx, String studyId, StudySpec spec, SiteRoster roster, SiteRegistry sites, String context, Study study) {
    this.vertx = vertx;
    this.studyId = studyId;
    this.spec = spec;
    this.roster = roster;
    this.sites = sites;
    this.context = context;
    this.study = study;
    int seconds = spec.waitForSitesSeconds();
    this.until = Instant.now().plusSeconds(seconds);
    this.timer = vertx.setTimer(seconds * 1000L, x -> {
      if (finished) return;
      finished = true;
      study.failed(prefix() + "not enough sites accepted within " + seconds + " s (waitForSitesSeconds): "
          + roster.roll(online(), sites.enrolled()).describe());
    });
  }

  /** Sets the waiting status and looks at the sites at once. */
  void start() {
    study.waiting(context == null ? "waiting for sites" : context);
    check();
  }

  /**
   * Leaves the wait when enough accepted and every online site answered (or its offer deadline passed). Once every
   * online site answered, fails at once when even the sites that could still accept (awaiting their data officer, or
   * enrolled and not connected) would not be enough. A consortium with no enrolled site yet waits.
   */
  void check() {
    if (finished) return;
    List<String> online = online();
    SiteRoster.Admission admission = roster.admit(online);
    if (!admission.takenBack().isEmpty())
      log.info("study {}: too few other sites are ready; the retry takes {} again", studyId, admission.takenBack());
    boolean allAnswered = roster.allAnswered(online);
    if (admission.accepted().size() >= roster.needed() && allAnswered) {
      cancel(null);
      study.proceed(admission.accepted());
      return;
    }
    SiteRoster.Roll roll = roster.roll(online, sites.enrolled());
    if (allAnswered && roll.possible() < roll.needed() && roll.enrolled() > 0) {
      cancel(null);
      study.failed(prefix() + "not enough sites can take part: " + roll.describe());
      return;
    }
    study.waiting(prefix() + roll.describe() + "; waiting until " + until.truncatedTo(ChronoUnit.SECONDS)
        + " (waitForSitesSeconds " + spec.waitForSitesSeconds() + ")");
  }

  @Override public void siteLeft(String site, String why) {
    check();
  }

  @Override public void cancel(String why) {
    finished = true;
    vertx.cancelTimer(timer);
  }

  private String prefix() {
    return context == null ? "" : context + "; ";
  }

  private List<String> online() {
    return sites.sessions().stream().map(SiteSession::siteId).toList();
  }
}
