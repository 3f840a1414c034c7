package org.dure.coordinator.study;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One training round as the researcher reads it. Round 0 describes the initial model. The metrics are
 * those of the global model produced by this round, measured by the sites on their validation splits
 * (which they report at the start of the next round, or in the final evaluation).
 *
 * @param status where the round stands
 * @param samples training rows per site (plain aggregation only: with secure aggregation no per-site figure exists)
 * @param trainLoss mean training loss per site (plain aggregation only)
 * @param secureAggregation how the round was securely aggregated, or null for plain aggregation
 * @param epsilonSpent with differential privacy, the ε each contributing site has spent on the study after this
 *     round (at the study's δ), as the sites report it
 * @param abortedAttempts earlier attempts of this round that aborted, oldest first (this record is the latest)
 */
public record RoundRecord(int round, int attempt, RoundStatus status, Instant startedAt, Instant endedAt, double seconds,
                          List<String> participants, Map<String, Long> samples, Map<String, Double> trainLoss,
                          Map<String, String> dropped, String abortReason, Metrics pooled,
                          Map<String, Metrics> bySite, SecureAggregation secureAggregation,
                          List<AbortedAttempt> abortedAttempts, Map<String, Double> epsilonSpent) {
  /** An earlier attempt of this round that aborted (and was retried), with why and who dropped out. */
  public record AbortedAttempt(int attempt, Instant endedAt, String reason, Map<String, String> dropped) {
    public AbortedAttempt {
      dropped = Map.copyOf(dropped);
    }
  }

  /**
   * What a securely aggregated round revealed: only sums over its survivors.
   *
   * @param threshold sites that had to survive every stage
   * @param neighbours masking-graph degree (roster size - 1 = full masking)
   * @param survivors the sites whose inputs are in the sum
   * @param survivorSamples their total training rows, from the masked weights
   * @param meanTrainLoss their sample-weighted mean training loss (NaN if the round aborted, or with site-level noise)
   * @param siteLevelEpsilon with site-level noise, the ε (at the plan's δ) that protects any one site's whole data
   *     after this round, for all rounds so far; null otherwise. Site-level noise also hides rows: then
   *     {@code survivorSamples} is 0
   */
  public record SecureAggregation(int threshold, int neighbours, List<String> survivors, long survivorSamples,
                                  double meanTrainLoss, Double siteLevelEpsilon) {
    public SecureAggregation {
      survivors = List.copyOf(survivors);
    }

    public SecureAggregation(int threshold, int neighbours, List<String> survivors, long survivorSamples,
                             double meanTrainLoss) {
      this(threshold, neighbours, survivors, survivorSamples, meanTrainLoss, null);
    }
  }

  public RoundRecord {
    participants = List.copyOf(participants);
    samples = Map.copyOf(samples);
    trainLoss = Map.copyOf(trainLoss);
    dropped = Map.copyOf(dropped);
    bySite = Map.copyOf(bySite);
    abortedAttempts = abortedAttempts == null ? List.of() : List.copyOf(abortedAttempts);
    epsilonSpent = epsilonSpent == null ? Map.of() : Map.copyOf(epsilonSpent);
  }

  public RoundRecord withMetrics(Metrics newPooled, Map<String, Metrics> newBySite) {
    return new RoundRecord(round, attempt, status, startedAt, endedAt, seconds, participants, samples, trainLoss,
        dropped, abortReason, newPooled, newBySite, secureAggregation, abortedAttempts, epsilonSpent);
  }
}
