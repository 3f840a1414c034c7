package org.dure.protocol.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.dure.protocol.study.FeatureSpec;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.SiteStatistics.NumericMoments;

/**
 * Standardisation applied to every encoded model input, identical at every site and in the exported
 * model: {@code x' = (x - mean) / scale}. Numeric inputs use the federated mean and standard
 * deviation; one-hot inputs keep mean 0 and scale 1. {@code imputeValues} holds the federated mean of
 * each numeric feature (in study order of the numeric features), used by the {@code impute_mean} policy.
 */
public record FeatureScaling(double[] means, double[] scales, Map<String, Double> imputeValues) {
  public FeatureScaling {
    if (means.length != scales.length) throw new IllegalArgumentException("means and scales differ in length: " + means.length + " vs " + scales.length);
    means = means.clone();
    scales = scales.clone();
    imputeValues = Map.copyOf(imputeValues);
  }

  @Override public double[] means() { return means.clone(); }
  @Override public double[] scales() { return scales.clone(); }

  /** Combines the sites' moments into the study's scaling. */
  public static FeatureScaling fromMoments(StudySpec spec, List<NumericMoments> pooled) {
    Map<String, NumericMoments> byName = pooled.stream().collect(Collectors.toMap(NumericMoments::feature, Function.identity()));
    int width = spec.inputWidth();
    double[] means = new double[width];
    double[] scales = new double[width];
    Arrays.fill(scales, 1.0);
    Map<String, Double> impute = new java.util.LinkedHashMap<>();
    int col = 0;
    for (FeatureSpec f : spec.features()) {
      if (f.type() == FeatureSpec.Type.NUMERIC) {
        NumericMoments m = byName.get(f.name());
        if (m == null || m.count() == 0)
          throw new IllegalStateException("no site reported a value for numeric feature '" + f.name() + "'");
        double mean = m.sum() / m.count();
        double meanSquare = m.sumSquares() / m.count();
        double var = meanSquare - mean * mean;
        // sum and sumSquares are rounded sums of count terms, so var carries rounding noise of up to about
        // 3 * count * eps * meanSquare: a constant 37.3 over 1000 rows comes out with sd ~5e-6. A variance
        // within that noise is a constant feature, which keeps scale 1 rather than being blown up.
        double noise = 4.0 * (m.count() + 4) * Math.ulp(1.0) * meanSquare;
        means[col] = mean;
        scales[col] = var > noise ? Math.sqrt(var) : 1.0;
        impute.put(f.name(), mean);
      }
      col += f.width();
    }
    return new FeatureScaling(means, scales, impute);
  }

  @Override public boolean equals(Object o) {
    return o instanceof FeatureScaling s && Arrays.equals(means, s.means) && Arrays.equals(scales, s.scales)
        && imputeValues.equals(s.imputeValues);
  }

  @Override public int hashCode() {
    return Arrays.hashCode(means) * 31 + Arrays.hashCode(scales);
  }
}
