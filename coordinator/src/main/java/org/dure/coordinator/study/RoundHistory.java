package org.dure.coordinator.study;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dure.protocol.metrics.Evaluation;

/**
 * The study's rounds as the researcher reads them — each round's latest attempt, its aborted earlier attempts and the
 * sites' evaluations of every model version — built here and written through to the {@link StudyStore}.
 */
final class RoundHistory {
  private final String studyId;
  private final StudyStore store;
  private final Map<Integer, RoundRecord> records = new TreeMap<>();
  private final Map<Integer, Map<String, Evaluation>> evaluations = new HashMap<>();

  RoundHistory(String studyId, StudyStore store, List<RoundRecord> restored) {
    this.studyId = studyId;
    this.store = store;
    restored.forEach(r -> records.put(r.round(), r));
  }

  List<RoundRecord> all() {
    return List.copyOf(records.values());
  }

  RoundRecord get(int round) {
    return records.get(round);
  }

  /** The attempt has started: the round's record says RUNNING, keeping its earlier aborted attempts. */
  void running(RoundAttempt a, int attempt) {
    records.put(a.round(), new RoundRecord(a.round(), attempt, RoundStatus.RUNNING, a.startedAt(), null, 0,
        a.participants(), Map.of(), Map.of(), Map.of(), null, null, Map.of(), a.secureAggregation(),
        abortedAttempts(a.round()), Map.of()));
  }

  /** The attempt aborted: it joins the round's aborted attempts, and the record says ABORTED with why. */
  RoundRecord aborted(RoundAttempt a, int attempt, RoundOutcome.Aborted o, Map<String, Double> epsilon, Instant now) {
    List<RoundRecord.AbortedAttempt> aborted = new ArrayList<>(abortedAttempts(a.round()));
    aborted.add(new RoundRecord.AbortedAttempt(attempt, now, o.reason(), o.dropped()));
    return put(new RoundRecord(a.round(), attempt, RoundStatus.ABORTED, a.startedAt(), now, seconds(a, now),
        a.participants(), o.samplesBySite(), o.trainLoss(), o.dropped(), o.reason(), null, Map.of(), o.secureAggregation(),
        aborted, epsilon));
  }

  /** The attempt completed: the round's record says COMPLETED with what the aggregate revealed. */
  RoundRecord completed(RoundAttempt a, RoundOutcome.Completed o, Map<String, Double> epsilon, Instant now) {
    RoundRecord prev = records.get(a.round());
    return put(new RoundRecord(a.round(), prev.attempt(), RoundStatus.COMPLETED, a.startedAt(), now, seconds(a, now),
        a.participants(), o.samplesBySite(), o.trainLoss(), o.dropped(), null, null, Map.of(), o.secureAggregation(),
        prev.abortedAttempts(), epsilon));
  }

  /**
   * A site's evaluation of model {@code version} (0 = the initial model, made at {@code startedAt}); ignored for a
   * version no round has produced. The pooled metrics are recomputed from every site's evaluation of that version.
   */
  void evaluation(String site, int version, Evaluation e, int completedRounds, Instant startedAt) {
    if (version < 0 || version > completedRounds) return;
    Map<String, Evaluation> byVersion = evaluations.computeIfAbsent(version, v -> new TreeMap<>());
    byVersion.put(site, e);
    RoundRecord rec = records.get(version);
    if (rec == null && version == 0) {
      rec = new RoundRecord(0, 0, RoundStatus.INITIAL, startedAt, startedAt, 0, List.of(), Map.of(), Map.of(), Map.of(),
          null, null, Map.of(), null, List.of(), Map.of());
    }
    if (rec == null) return;
    Map<String, Metrics> bySite = new TreeMap<>();
    byVersion.forEach((k, v) -> bySite.put(k, Metrics.of(v)));
    put(rec.withMetrics(Metrics.of(Evaluation.pooled(byVersion.values())), bySite));
  }

  private RoundRecord put(RoundRecord r) {
    records.put(r.round(), r);
    store.put(studyId, r);
    return r;
  }

  private List<RoundRecord.AbortedAttempt> abortedAttempts(int round) {
    RoundRecord r = records.get(round);
    return r == null ? List.of() : r.abortedAttempts();
  }

  private static double seconds(RoundAttempt a, Instant now) {
    return Duration.between(a.startedAt(), now).toNanos() / 1e9;
  }
}
