package org.dure.protocol.metrics;

import java.util.Collection;

/**
 * How a global model performed on validation data: at one site, or pooled over sites. Pooled log loss
 * and accuracy are count-weighted means (sites without validation examples do not count); pooled AUC
 * comes from the summed histograms.
 *
 * @param count validation examples
 * @param positives positive examples among them
 * @param logLoss mean binary cross-entropy
 * @param accuracy share classified correctly at threshold 0.5
 * @param auc ROC AUC (NaN when only one class is present)
 */
public record Evaluation(long count, long positives, double logLoss, double accuracy, double auc,
                         ScoreHistogram histogram) {

  public static Evaluation pooled(Collection<Evaluation> sites) {
    long count = 0, pos = 0;
    double loss = 0, acc = 0;
    ScoreHistogram h = ScoreHistogram.empty();
    for (Evaluation e : sites) {
      h = h.plus(e.histogram);
      if (e.count == 0) continue; // its mean loss and accuracy are NaN and would poison the pooled means
      count += e.count;
      pos += e.positives;
      loss += e.logLoss * e.count;
      acc += e.accuracy * e.count;
    }
    if (count == 0) return new Evaluation(0, 0, Double.NaN, Double.NaN, Double.NaN, h);
    return new Evaluation(count, pos, loss / count, acc / count, h.auc(), h);
  }
}
