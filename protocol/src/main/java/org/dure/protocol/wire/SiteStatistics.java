package org.dure.protocol.wire;

import java.util.List;
import java.util.Map;

/**
 * What a site tells the coordinator about its training split before round 1, so that feature scaling
 * and mean imputation are computed federatedly: aggregate counts and moments only, never rows.
 *
 * @param rowsRead rows in the site's data source
 * @param rowsUsed rows left for training and validation after the missing-value policy
 * @param rowsDroppedMissing rows dropped because a feature value was missing (policy {@code drop})
 * @param rowsDroppedLabel rows dropped because the label was missing
 * @param missingByFeature missing (empty or {@code NA}) values seen per feature
 * @param unseenByFeature values of categorical features that are not among the study's categories
 * @param numeric moments of each numeric feature over the training split, non-missing values only
 */
public record SiteStatistics(long rowsRead, long rowsUsed, long rowsDroppedMissing, long rowsDroppedLabel,
                             Map<String, Long> missingByFeature, Map<String, Long> unseenByFeature,
                             List<NumericMoments> numeric) {
  public SiteStatistics {
    missingByFeature = Map.copyOf(missingByFeature);
    unseenByFeature = Map.copyOf(unseenByFeature);
    numeric = List.copyOf(numeric);
  }

  /** Count, sum and sum of squares of one numeric feature. */
  public record NumericMoments(String feature, long count, double sum, double sumSquares) {
    public NumericMoments plus(NumericMoments o) {
      if (!feature.equals(o.feature)) throw new IllegalArgumentException("cannot add moments of " + o.feature + " to " + feature);
      return new NumericMoments(feature, count + o.count, sum + o.sum, sumSquares + o.sumSquares);
    }
  }
}
