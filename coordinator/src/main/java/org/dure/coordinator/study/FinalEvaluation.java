package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.dure.coordinator.report.ReportValidation;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.AgentMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The final phase: every ready site evaluates the last model and sends the aggregate counts of the validation report;
 * it ends when every site asked has answered both or left, or at the deadline.
 */
final class FinalEvaluation implements StudyPhase {
  private static final Logger log = LoggerFactory.getLogger(FinalEvaluation.class);

  private final Vertx vertx;
  private final SiteRegistry registry;
  private final String studyId;
  private final int version;
  private final List<String> asked;
  private final Set<String> evaluationsPending;
  private final Set<String> reportsPending;
  private final Map<String, AgentMessage.ValidationReport> reports = new TreeMap<>();
  private final Consumer<FinalEvaluation> done;
  private long timer = -1;
  private boolean finished;

  /** {@code version} is the model evaluated (the last round); {@code done} runs once, when the phase ends. */
  FinalEvaluation(Vertx vertx, SiteRegistry registry, String studyId, int version, Collection<String> sites,
                  Consumer<FinalEvaluation> done) {
    this.vertx = vertx;
    this.registry = registry;
    this.studyId = studyId;
    this.version = version;
    this.asked = List.copyOf(sites);
    this.evaluationsPending = new LinkedHashSet<>(sites);
    this.reportsPending = new LinkedHashSet<>(sites);
    this.done = done;
  }

  /** Sends each site the model to evaluate and the report request, and starts the deadline; ends at once with no site. */
  void start(byte[] evaluateFrame, Duration deadline) {
    for (String s : asked) registry.session(s).ifPresent(x -> {
      x.sendBinary(evaluateFrame);
      x.send(new CoordinatorMessage.ReportRequest(studyId, version)); // answered with the model of that frame
    });
    timer = vertx.setTimer(deadline.toMillis(), x -> {
      timer = -1;
      evaluationsPending.clear();
      reportsPending.clear();
      maybeFinish();
    });
    maybeFinish();
  }

  List<String> asked() {
    return asked;
  }

  /** The sites' validation-report counts received (an invalid one sanitised to UNAVAILABLE). */
  Map<String, AgentMessage.ValidationReport> reports() {
    return reports;
  }

  void evaluated(String site, int modelVersion) {
    if (modelVersion == version && evaluationsPending.remove(site)) maybeFinish();
  }

  void report(String site, AgentMessage.ValidationReport v) {
    if (v.modelVersion() != version || !reportsPending.remove(site)) return;
    String problem = ReportValidation.problem(v);
    if (problem != null) log.warn("study {}: site {} sent an invalid validation report, listed as UNAVAILABLE: {}", studyId, site, problem);
    reports.put(site, ReportValidation.sanitize(v, studyId, version));
    maybeFinish();
  }

  /** Whether the site still has an evaluation or report to send. */
  @Override public boolean expects(String site) {
    return !finished && (evaluationsPending.contains(site) || reportsPending.contains(site));
  }

  /** The site is gone: it answers neither. */
  @Override public void siteLeft(String site, String why) {
    if (evaluationsPending.remove(site) | reportsPending.remove(site)) maybeFinish();
  }

  @Override public void cancel(String why) {
    finished = true;
    if (timer >= 0) vertx.cancelTimer(timer);
  }

  private void maybeFinish() {
    if (finished || !evaluationsPending.isEmpty() || !reportsPending.isEmpty()) return;
    cancel(null);
    done.accept(this);
  }
}
