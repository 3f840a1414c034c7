package org.dure.protocol.study;

/**
 * What a study promises the hospitals about the privacy of their contributions.
 *
 * @param secureAggregation how site updates are combined so that the coordinator learns only their sum
 * @param differentialPrivacy record-level differential privacy of each site's local training (DP-SGD)
 * @param siteLevelNoise site-level differential privacy of the aggregate: noise each site adds to its clipped model
 *     change before secure aggregation
 */
public record PrivacyPlan(SecureAggregation secureAggregation, DifferentialPrivacy differentialPrivacy,
                          SiteLevelNoise siteLevelNoise) {
  public PrivacyPlan {
    java.util.Objects.requireNonNull(secureAggregation, "secureAggregation");
    java.util.Objects.requireNonNull(differentialPrivacy, "differentialPrivacy");
    java.util.Objects.requireNonNull(siteLevelNoise, "siteLevelNoise");
    if (siteLevelNoise.enabled() && !secureAggregation.enabled())
      throw new IllegalArgumentException("site-level noise needs secure aggregation: each site's share of the noise only"
          + " protects it inside the sum");
  }

  public PrivacyPlan(SecureAggregation secureAggregation, DifferentialPrivacy differentialPrivacy) {
    this(secureAggregation, differentialPrivacy, SiteLevelNoise.off());
  }

  /**
   * Site-level (DP-FedAvg style, McMahan et al. 2018) differential privacy of each round's aggregate, for consortia
   * large enough to want it: each site clips its model change (trained minus global) to L2 norm {@code clipNorm},
   * adds Gaussian noise of standard deviation {@code noiseMultiplier * clipNorm / sqrt(t)} per element, where t is
   * the round's secure-aggregation threshold (so any t or more survivors together contribute noise of at least
   * {@code noiseMultiplier * clipNorm}), and weights its change uniformly instead of by rows (rows would be a
   * site-level disclosure, and would make one site's influence unbounded). The sum then protects any one
   * site's whole data set — the unit is the hospital — with (ε, δ) accounted per round by the RDP accountant
   * (Gaussian mechanism, every site in every round: sampling rate 1). Semi-honest model: it assumes the sites add
   * their noise.
   */
  public record SiteLevelNoise(boolean enabled, double noiseMultiplier, double clipNorm, double delta) {
    public SiteLevelNoise {
      if (enabled) {
        if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier))
          throw new IllegalArgumentException("noiseMultiplier must be finite and > 0, was " + noiseMultiplier);
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("clipNorm must be finite and > 0, was " + clipNorm);
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("delta must be in (0, 1), was " + delta);
      }
    }

    public static SiteLevelNoise off() {
      return new SiteLevelNoise(false, 0, 0, 0);
    }
  }

  /** A plan without differential privacy. */
  public PrivacyPlan(SecureAggregation secureAggregation) {
    this(secureAggregation, DifferentialPrivacy.off());
  }

  /**
   * DP-SGD at every site: each example's gradient is clipped to L2 norm {@code clipNorm}, batches are Poisson
   * samples with rate {@code batchSize / site training rows}, and Gaussian noise of standard deviation
   * {@code noiseMultiplier * clipNorm} is added to each summed batch gradient. Either {@code noiseMultiplier} is
   * given, or {@code targetEpsilon}: then each site derives the smallest noise multiplier that keeps its whole
   * study (all rounds and local steps, RDP accountant) within ({@code targetEpsilon}, {@code delta}).
   *
   * @param noiseMultiplier σ, or 0 when derived from {@code targetEpsilon}
   * @param targetEpsilon ε for the whole study at each site, or 0 when σ is given
   * @param delta δ of the (ε, δ) guarantee reported and targeted
   */
  public record DifferentialPrivacy(boolean enabled, double noiseMultiplier, double clipNorm, double targetEpsilon,
                                    double delta) {
    public DifferentialPrivacy {
      if (enabled) {
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) throw new IllegalArgumentException("clipNorm must be finite and > 0, was " + clipNorm);
        if ((noiseMultiplier > 0) == (targetEpsilon > 0)) {
          throw new IllegalArgumentException("give either noiseMultiplier or targetEpsilon (exactly one > 0)");
        }
        if (!(delta > 0 && delta < 1)) throw new IllegalArgumentException("delta must be in (0, 1), was " + delta);
      }
    }

    public static DifferentialPrivacy off() {
      return new DifferentialPrivacy(false, 0, 0, 0, 0);
    }
  }

  /** Largest update clip accepted: beyond it the fixed-point resolution (clip * 4.7e-10) starts to matter. */
  public static final double MAX_CLIP = 1e6;

  /**
   * Secure aggregation (Bonawitz et al. 2017; SecAgg+ above 30 sites). On by default.
   *
   * @param enabled false sends plain (signed, TLS-protected) updates the coordinator can read one by one
   * @param threshold the least number of sites that must survive every stage of a round; 0 means automatic:
   *     a strict majority of the round's sites and at least {@code minSites}. A larger value only raises it.
   * @param clip every element of a site's model change (trained minus global parameters) and its training loss
   *     are clipped to {@code [-clip, clip]} before fixed-point encoding; the resolution is {@code clip * 4.7e-10}
   */
  public record SecureAggregation(boolean enabled, int threshold, double clip) {
    public SecureAggregation {
      if (threshold < 0) throw new IllegalArgumentException("threshold must be >= 0, was " + threshold);
      if (!(clip > 0 && clip <= MAX_CLIP)) throw new IllegalArgumentException("clip must be in (0, " + MAX_CLIP + "], was " + clip);
    }

    /** The threshold for a round of {@code sites} sites in a study needing {@code minSites}. */
    public int thresholdFor(int sites, int minSites) {
      return Math.max(Math.max(sites / 2 + 1, minSites), threshold);
    }
  }

  public static final double DEFAULT_CLIP = 100;

  /** The default: secure aggregation on, automatic threshold, clip {@value #DEFAULT_CLIP}. */
  public static PrivacyPlan defaults() {
    return new PrivacyPlan(new SecureAggregation(true, 0, DEFAULT_CLIP));
  }
}
