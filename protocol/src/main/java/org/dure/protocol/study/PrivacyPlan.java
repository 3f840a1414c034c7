package org.dure.protocol.study;

/**
 * What a study promises the hospitals about the privacy of their contributions.
 *
 * @param secureAggregation how site updates are combined so that the coordinator learns only their sum
 */
public record PrivacyPlan(SecureAggregation secureAggregation) {
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
