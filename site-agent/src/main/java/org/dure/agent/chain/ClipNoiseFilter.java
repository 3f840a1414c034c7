package org.dure.agent.chain;

import java.util.Locale;
import java.util.Set;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;

/**
 * Clipping and noise as a filter: it adds a secure study's site-level noise to the clipped model change, and a
 * contribution leaves only once its round was noised as the approved study says (DP-SGD steps taken, or the
 * site-level noise added).
 */
public final class ClipNoiseFilter implements SiteFilter {
  /** "study/round" of the rounds whose contribution got the noise the study asks for (any thread). */
  private final Set<String> noised = java.util.concurrent.ConcurrentHashMap.newKeySet();

  ClipNoiseFilter() {}

  /** The standard deviation of the noise each site adds: any {@code threshold} survivors together add sd z*S. */
  public static double noiseStandardDeviation(PrivacyPlan.SiteLevelNoise noise, int threshold) {
    return noise.noiseMultiplier() * noise.clipNorm() / Math.sqrt(threshold);
  }

  /**
   * Why a secure round at this threshold cannot carry the study's site-level noise (this site's share, sd z*S/sqrt(t),
   * must survive the element clip of the encoding), or null.
   */
  String announcementRefusal(StudyTerms t, int threshold) {
    PrivacyPlan.SiteLevelNoise noise = t.privacy().siteLevelNoise();
    double clip = t.privacy().secureAggregation().clip();
    if (!noise.enabled()) return null;
    double sd = noiseStandardDeviation(noise, threshold);
    if (noise.clipNorm() + 6 * sd > clip) {
      return "site-level noise (clipNorm " + noise.clipNorm() + ", noise sd " + String.format(Locale.ROOT, "%.4g", sd)
          + " per element) would be cut by the study's secure-aggregation clip " + clip
          + "; the study must raise privacy.secureAggregation.clip above clipNorm + 6 sd";
    }
    return null;
  }

  /** A round trained with DP-SGD: {@code noisySteps} steps of the sampled Gaussian mechanism were taken. */
  void trained(String studyId, int round, long noisySteps) {
    if (noisySteps > 0) noised.add(studyId + "/" + round);
  }

  void forget(String studyId) {
    noised.removeIf(k -> k.startsWith(studyId + "/"));
  }

  /**
   * Site-level noise on a model change {@code x[0, n)}: clipped to L2 norm S, then this site's share of the Gaussian
   * noise added (sd z*S/sqrt(t)), in place; the round is marked noised.
   */
  void addSiteNoise(String studyId, int round, float[] x, int n, PrivacyPlan.SiteLevelNoise noise, int threshold) {
    double norm = 0;
    for (int i = 0; i < n; i++) norm += (double) x[i] * x[i];
    norm = Math.sqrt(norm);
    double scale = norm > noise.clipNorm() ? noise.clipNorm() / norm : 1;
    double sd = noiseStandardDeviation(noise, threshold);
    java.util.random.RandomGenerator random = org.dure.learning.train.LocalTrainer.secureNoise();
    for (int i = 0; i < n; i++) x[i] = (float) (x[i] * scale + sd * random.nextGaussian());
    noised.add(studyId + "/" + round);
  }

  @Override public FilterName name() {
    return FilterName.CLIP_NOISE;
  }

  @Override public Verdict inspect(Outgoing out, StudyTerms t) {
    if (!(out instanceof Outgoing.Frame f) || !f.contribution()) return Verdict.notApplicable();
    if (t == null) return new Verdict.Refused("no approved terms for the study at this site");
    boolean dpSgd = t.mechanism() != null;
    if (!dpSgd && !t.siteLevelNoise()) return Verdict.notApplicable(); // the study asks for no noise
    if (!noised.contains(t.studyId() + "/" + f.header().round())) {
      return new Verdict.Refused("round " + f.header().round() + "'s contribution was not noised as the study requires ("
          + (dpSgd ? "DP-SGD" : "site-level noise") + ")");
    }
    return Verdict.passed(out);
  }

  @Override public String settings(String studyId, StudySpec spec) {
    PrivacyPlan p = spec.privacy();
    PrivacyPlan.DifferentialPrivacy dp = p.differentialPrivacy();
    PrivacyPlan.SiteLevelNoise n = p.siteLevelNoise();
    String dpSgd = !dp.enabled() ? "no DP-SGD" : "DP-SGD per-example clip C = " + fmt(dp.clipNorm()) + ", "
        + (dp.targetEpsilon() > 0 ? "σ set here for target ε = " + fmt(dp.targetEpsilon()) : "σ = " + fmt(dp.noiseMultiplier()))
        + ", δ = " + dp.delta();
    String site = !n.enabled() ? "no site-level noise" : "site-level noise clip S = " + fmt(n.clipNorm()) + ", z = "
        + fmt(n.noiseMultiplier());
    String element = p.secureAggregation().enabled() ? "; model-change elements clipped to ±" + fmt(p.secureAggregation().clip())
        + " for masking" : "";
    return dpSgd + "; " + site + element;
  }

  static String fmt(double v) {
    return String.format(Locale.ROOT, "%.4g", v).replaceAll("\\.?0+$", "").replaceAll("\\.?0+e", "e");
  }
}
