package org.dure.coordinator.study;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One training round as the researcher reads it. Round 0 describes the initial model. The metrics are
 * those of the global model produced by this round, measured by the sites on their validation splits
 * (which they report at the start of the next round, or in the final evaluation).
 *
 * @param status RUNNING, COMPLETED, ABORTED or INITIAL
 */
public record RoundRecord(int round, int attempt, String status, Instant startedAt, Instant endedAt, double seconds,
                          List<String> participants, Map<String, Long> samples, Map<String, Double> trainLoss,
                          Map<String, String> dropped, String abortReason, Metrics pooled,
                          Map<String, Metrics> bySite) {
  public RoundRecord {
    participants = List.copyOf(participants);
    samples = Map.copyOf(samples);
    trainLoss = Map.copyOf(trainLoss);
    dropped = Map.copyOf(dropped);
    bySite = Map.copyOf(bySite);
  }

  public RoundRecord withMetrics(Metrics newPooled, Map<String, Metrics> newBySite) {
    return new RoundRecord(round, attempt, status, startedAt, endedAt, seconds, participants, samples, trainLoss,
        dropped, abortReason, newPooled, newBySite);
  }
}
