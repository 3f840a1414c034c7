package org.dure.protocol.study;

/**
 * How the coordinator combines site updates. {@code fedavg}: mean of the site models weighted by
 * sample count. {@code fedprox}: the same mean, with sites adding the proximal term
 * {@code mu/2 ||w - w_global||^2} to their loss. {@code fedadam}: the weighted mean update is treated
 * as a pseudo-gradient for a server-side Adam step (Reddi et al., "Adaptive Federated Optimization").
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
