package org.dure.coordinator.study;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.SiteStatistics;

/**
 * The preparation phase: the accepted sites' aggregate statistics of their training split, collected until every site
 * asked has answered or left, or the deadline passed.
 */
final class StatisticsCollection implements StudyPhase {
  private final Vertx vertx;
  private final Set<String> pending;
  private final Map<String, SiteStatistics> received = new LinkedHashMap<>();
  private final Consumer<Map<String, SiteStatistics>> done;
  private final long timer;
  private boolean finished;

  /** {@code timedOut} hears each site silent at the deadline; {@code done} gets the statistics received, once. */
  StatisticsCollection(Vertx vertx, Collection<String> sites, Duration deadline, Consumer<String> timedOut,
                       Consumer<Map<String, SiteStatistics>> done) {
    this.vertx = vertx;
    this.pending = new LinkedHashSet<>(sites);
    this.done = done;
    this.timer = vertx.setTimer(deadline.toMillis(), x -> {
      pending.forEach(timedOut);
      pending.clear();
      maybeFinish();
    });
  }

  /** A site approved late: its statistics join the pool; false when it is already asked. */
  boolean ask(String site) {
    return !finished && pending.add(site);
  }

  @Override public boolean expects(String site) {
    return !finished && pending.contains(site);
  }

  /** The site's statistics; false (and ignored) when they were not expected. */
  boolean received(String site, SiteStatistics statistics) {
    if (finished || !pending.remove(site)) return false;
    received.put(site, statistics);
    maybeFinish();
    return true;
  }

  @Override public String droppedOnDisconnect() {
    return "disconnected while the study was being prepared";
  }

  /** The site disconnected or withdrew: it is no longer waited for. */
  @Override public void siteLeft(String site, String why) {
    if (!finished && pending.remove(site)) maybeFinish();
  }

  @Override public void cancel(String why) {
    finished = true;
    vertx.cancelTimer(timer);
  }

  /** The one feature scaling every site and the exported model use, pooled from the sites' moments. */
  static FeatureScaling pooledScaling(StudySpec spec, Collection<SiteStatistics> received) {
    Map<String, SiteStatistics.NumericMoments> pooled = new LinkedHashMap<>();
    for (SiteStatistics st : received)
      for (SiteStatistics.NumericMoments m : st.numeric()) pooled.merge(m.feature(), m, SiteStatistics.NumericMoments::plus);
    return FeatureScaling.fromMoments(spec, new ArrayList<>(pooled.values()));
  }

  private void maybeFinish() {
    if (finished || !pending.isEmpty()) return;
    cancel(null);
    done.accept(received);
  }
}
