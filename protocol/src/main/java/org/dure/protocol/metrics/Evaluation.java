package org.dure.protocol.metrics;

import java.util.Collection;

/**
 * How a global model performed on validation data: at one site, or pooled over sites. Pooled log loss
 * and accuracy are count-weighted means (sites without validation examples do not count); pooled AUC
 * comes from the summed histograms, with each site's pairs counted exactly: a site's {@code auc} is exact (its
 * histogram may be coarsened), so only pairs of examples at two sites that fall in one bin count as half.
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
    double correction = 0;
    for (Evaluation e : sites) {
      h = h.plus(e.histogram);
      correction += e.winsCorrection();
      if (e.count == 0) continue; // its mean loss and accuracy are NaN and would poison the pooled means
      count += e.count;
      pos += e.positives;
      loss += e.logLoss * e.count;
      acc += e.accuracy * e.count;
    }
    if (count == 0) return new Evaluation(0, 0, Double.NaN, Double.NaN, Double.NaN, h);
    long hp = h.totalPositives(), hn = h.totalNegatives();
    double auc = hp == 0 || hn == 0 ? Double.NaN : Math.max(0, Math.min(1, (h.wins() + correction) / ((double) hp * hn)));
    return new Evaluation(count, pos, loss / count, acc / count, auc, h);
  }

  /**
   * What this site's exact AUC adds to its histogram's Mann–Whitney count (0 when the AUC is not a number or the
   * histogram does not hold the site's examples): the pairs its coarsened bins count as ties.
   */
  double winsCorrection() {
    long hp = histogram.totalPositives(), hn = histogram.totalNegatives();
    if (Double.isNaN(auc) || auc < 0 || auc > 1 || hp == 0 || hn == 0 || hp != positives || hp + hn != count) return 0;
    return auc * hp * hn - histogram.wins();
  }
}
