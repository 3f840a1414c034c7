package org.dure.coordinator.study;

import java.util.List;
import java.util.Map;

/** How one attempt of a training round ended: with an aggregate to step the global model by, or aborted with why. */
sealed interface RoundOutcome permits RoundOutcome.Completed, RoundOutcome.Aborted {
  /** Sites of the attempt that did not contribute, with why (for the round record and the ledger). */
  Map<String, String> dropped();

  /**
   * @param meanDelta the contributors' sample-weighted mean model change from the global model the round trained from
   * @param contributors the sites whose contributions are in the aggregate
   * @param samples their total training rows (0 when the round's privacy plan hides them)
   * @param samplesBySite training rows per site (plain aggregation only)
   * @param trainLoss mean training loss per site (plain aggregation only)
   * @param secureAggregation what a secure round revealed, or null for a plain one
   */
  record Completed(double[] meanDelta, List<String> contributors, long samples, Map<String, Long> samplesBySite,
                   Map<String, Double> trainLoss, Map<String, String> dropped,
                   RoundRecord.SecureAggregation secureAggregation) implements RoundOutcome {
    public Completed {
      contributors = List.copyOf(contributors);
      samplesBySite = Map.copyOf(samplesBySite);
      trainLoss = Map.copyOf(trainLoss);
      dropped = Map.copyOf(dropped);
    }
  }

  /**
   * @param reason why the attempt aborted
   * @param samplesBySite and {@code trainLoss}: what a plain round had received before it aborted
   * @param secureAggregation the secure round's parameters, or null for a plain one
   */
  record Aborted(String reason, Map<String, String> dropped, Map<String, Long> samplesBySite,
                 Map<String, Double> trainLoss, RoundRecord.SecureAggregation secureAggregation) implements RoundOutcome {
    public Aborted {
      dropped = Map.copyOf(dropped);
      samplesBySite = Map.copyOf(samplesBySite);
      trainLoss = Map.copyOf(trainLoss);
    }
  }
}
