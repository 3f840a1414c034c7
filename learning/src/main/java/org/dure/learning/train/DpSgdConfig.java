package org.dure.learning.train;

/**
 * Differentially private SGD (Abadi et al. 2016) for one site's local training: each step samples every
 * local example independently with probability {@code samplingRate} (Poisson sampling, as the Rényi-DP accountant
 * assumes), clips each sampled example's gradient to L2 norm {@code clipNorm}, adds Gaussian noise of standard
 * deviation {@code noiseMultiplier * clipNorm} to their sum and divides by the expected batch size
 * {@code samplingRate * rows}. When the data declares patients ({@link TrainingData#withPatients}) the unit is the
 * patient: patients are sampled, one row of each, and the guarantee is per patient.
 *
 * @param noiseMultiplier sigma, finite and {@code >= 0} (0 clips without noise: no privacy, for comparisons)
 * @param clipNorm C, finite and {@code > 0}
 * @param samplingRate q, in {@code (0, 1]}
 */
public record DpSgdConfig(double noiseMultiplier, double clipNorm, double samplingRate) {
  public DpSgdConfig {
    if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier))
      throw new IllegalArgumentException("noiseMultiplier must be finite and >= 0, was " + noiseMultiplier);
    if (!(clipNorm > 0) || Double.isInfinite(clipNorm))
      throw new IllegalArgumentException("clipNorm must be finite and > 0, was " + clipNorm);
    if (!(samplingRate > 0 && samplingRate <= 1))
      throw new IllegalArgumentException("samplingRate must be in (0, 1], was " + samplingRate);
  }

  /** The sampling rate that gives batches of {@code batchSize} examples on average from {@code rows} rows. */
  public static double samplingRate(int batchSize, long rows) {
    if (batchSize < 1 || rows < 1) throw new IllegalArgumentException("batchSize and rows must be >= 1");
    return Math.min(1.0, (double) batchSize / rows);
  }

  /** Noisy steps per local epoch: {@code round(1 / q)}, at least 1 (an epoch sees each example once on average). */
  public int stepsPerEpoch() {
    return (int) Math.max(1, Math.round(1 / samplingRate));
  }

  /** Noisy steps in a round of {@code localEpochs} epochs: what the accountant composes per round. */
  public long stepsPerRound(int localEpochs) {
    return (long) localEpochs * stepsPerEpoch();
  }
}
