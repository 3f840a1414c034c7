package org.dure.crypto.secagg;

import java.util.Objects;

/**
 * Fixed-point encoding of weighted updates into ints modulo 2^32 such that the sum over the round never wraps.
 *
 * <p>Each site clips its update to {@code [-clip, clip]}, multiplies it by its weight {@code w} (its share of the
 * round's announced sample count: {@code 0 <= w <= 1}, and the weights of the round's sites sum to at most 1, a
 * slack of {@value #WEIGHT_SLACK} being tolerated for float rounding) and rounds {@code w * x * scale} to the
 * nearest int, with
 * <pre>scale = (2^31 - 1 - sites) / (clip * (1 + WEIGHT_SLACK))</pre>
 * Then the exact sum over at most {@code sites} sites is bounded by {@code scale * clip * (1 + slack) + sites / 2
 * <= 2^31 - 1} in absolute value, so the wrapped int sum is the true sum. The step {@link #step()} is
 * {@code 1 / scale}, about {@code clip * 4.66e-10}; each site's rounding is at most half a step, so the decoded
 * sum is within {@code sites * step / 2} of the exact weighted sum of the clipped values.
 *
 * <p>The weight itself can travel as one extra masked element ({@link #encodeWithWeight}), scaled by
 * {@link #weightScale()} the same way; the decoded total weight of the survivors lets the coordinator turn the
 * survivors' weighted sum into their weighted mean when some sites dropped.
 */
public record Quantizer(double clip, int sites) {
  /** How far above 1 the sum of the round's weights may be (float rounding of w_i = n_i / N). */
  public static final double WEIGHT_SLACK = 1e-6;

  public Quantizer {
    if (!(clip > 0) || Double.isInfinite(clip)) throw new IllegalArgumentException("clip must be finite and > 0, was " + clip);
    if (sites < 1 || sites > 1 << 20) throw new IllegalArgumentException("sites must be in 1..2^20, was " + sites);
  }

  /** Fixed-point units per unit of the (weighted) update. */
  public double scale() {
    return (Integer.MAX_VALUE - (double) sites) / (clip * (1 + WEIGHT_SLACK));
  }

  /** Fixed-point units per unit of weight, for the extra weight element. */
  public double weightScale() {
    return (Integer.MAX_VALUE - (double) sites) / (1 + WEIGHT_SLACK);
  }

  /** The quantisation step in units of the update: the resolution of one site's weighted value. */
  public double step() {
    return 1 / scale();
  }

  /** {@code round(weight * clamp(update[i], ±clip) * scale)}. Non-finite values are refused. */
  public int[] encode(float[] update, double weight) {
    return encode(update, weight, false);
  }

  /** As {@link #encode}, with one extra last element {@code round(weight * weightScale)}. */
  public int[] encodeWithWeight(float[] update, double weight) {
    return encode(update, weight, true);
  }

  /** The weighted sum of the clipped updates from an unmasked sum of {@link #encode}d vectors. */
  public float[] decode(int[] sum) {
    Objects.requireNonNull(sum, "sum");
    double s = scale();
    float[] out = new float[sum.length];
    for (int i = 0; i < sum.length; i++) out[i] = (float) (sum[i] / s);
    return out;
  }

  /** The weighted sum and the total weight from an unmasked sum of {@link #encodeWithWeight}ed vectors. */
  public WeightedSum decodeWithWeight(int[] sum) {
    Objects.requireNonNull(sum, "sum");
    if (sum.length < 1) throw new IllegalArgumentException("sum must hold at least the weight element");
    double s = scale();
    float[] out = new float[sum.length - 1];
    for (int i = 0; i < out.length; i++) out[i] = (float) (sum[i] / s);
    return new WeightedSum(out, sum[sum.length - 1] / weightScale());
  }

  /** A decoded weighted sum of updates and the total weight of the sites it covers. */
  public record WeightedSum(float[] weightedSum, double totalWeight) {
    public WeightedSum {
      weightedSum = weightedSum.clone();
    }

    @Override public float[] weightedSum() {
      return weightedSum.clone();
    }

    /** The weighted mean over the sites in the sum: {@code weightedSum / totalWeight}. */
    public float[] mean() {
      if (!(totalWeight > 0)) throw new IllegalStateException("total weight is " + totalWeight + "; no mean");
      float[] out = new float[weightedSum.length];
      for (int i = 0; i < out.length; i++) out[i] = (float) (weightedSum[i] / totalWeight);
      return out;
    }
  }

  private int[] encode(float[] update, double weight, boolean withWeight) {
    Objects.requireNonNull(update, "update");
    if (!(weight >= 0 && weight <= 1)) throw new IllegalArgumentException("weight must be in [0, 1], was " + weight);
    double factor = weight * scale();
    int[] out = new int[update.length + (withWeight ? 1 : 0)];
    for (int i = 0; i < update.length; i++) {
      float v = update[i];
      if (!Float.isFinite(v)) throw new IllegalArgumentException("update[" + i + "] is " + v + "; refusing to encode");
      double clipped = Math.max(-clip, Math.min(clip, v));
      out[i] = (int) Math.round(clipped * factor);
    }
    if (withWeight) out[update.length] = (int) Math.round(weight * weightScale());
    return out;
  }
}
