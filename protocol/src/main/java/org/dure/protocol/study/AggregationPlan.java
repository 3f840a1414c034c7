package org.dure.protocol.study;

/**
 * How the coordinator combines site updates. {@code fedavg}: mean of the site models weighted by
 * sample count. {@code fedprox}: the same mean, with sites adding the proximal term
 * {@code mu/2 ||w - w_global||^2} to their loss. {@code fedadam}: the weighted mean update is treated
 * as a pseudo-gradient for a server-side Adam step (Reddi et al., "Adaptive Federated Optimization").
 * Parameters that do not belong to the strategy are 0: {@code mu} is set only for FedProx, and
 * {@code serverLearningRate}, {@code beta1}, {@code beta2} and {@code tau} only for FedAdam.
 */
public record AggregationPlan(Strategy strategy, double mu, double serverLearningRate, double beta1,
                              double beta2, double tau) {
  public enum Strategy {
    FEDAVG("fedavg"), FEDPROX("fedprox"), FEDADAM("fedadam");
    private final String wireName;
    Strategy(String wireName) { this.wireName = wireName; }
    public String wireName() { return wireName; }
  }

  public static AggregationPlan fedAvg() {
    return new AggregationPlan(Strategy.FEDAVG, 0, 0, 0, 0, 0);
  }

  /** The proximal coefficient sites must apply (0 unless FedProx). */
  public double proximalMu() {
    return strategy == Strategy.FEDPROX ? mu : 0.0;
  }
}
