package org.dure.cohort;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How one synthetic hospital differs from the others: who it treats (case mix: age, sex, where patients
 * live), how sick they are beyond what the features explain (an intercept shift of the true model), how
 * its instruments read (additive offsets on recorded values), and how its export writes a missing cell.
 */
record SiteProfile(String name, String code, String description, String homeProvince, double homeShare,
                   double ageMean, double ageSd, double maleFraction, double interceptShift,
                   Map<String, Double> measurementOffsets, String missingToken) {
  SiteProfile {
    measurementOffsets = Map.copyOf(measurementOffsets);
  }

  private static final List<SiteProfile> CANNED = List.of(
      new SiteProfile("hospital-a", "A", "tertiary referral centre in Seoul: older, sicker referrals",
          "서울특별시", 0.75, 63, 13, 0.56, 0.35, Map.of(), ""),
      new SiteProfile("hospital-b", "B", "university hospital in Busan; its Jaffe creatinine assay reads 0.15 mg/dL high",
          "부산광역시", 0.80, 58, 14, 0.50, 0.0, Map.of("creatinine", 0.15), "NA"),
      new SiteProfile("hospital-c", "C", "community hospital in Gwangju: younger, more women, lower risk; glucose analyser calibrated +8 mg/dL",
          "광주광역시", 0.85, 52, 15, 0.44, -0.55, Map.of("glucose", 8.0), ""),
      new SiteProfile("hospital-d", "D", "regional centre in Daejeon: oldest case mix; automated cuffs read 5 mmHg low",
          "대전광역시", 0.80, 66, 12, 0.48, 0.15, Map.of("sbp", -5.0), "NA"),
      new SiteProfile("hospital-e", "E", "general hospital in Suwon; direct LDL assay reads 6 mg/dL high",
          "경기도", 0.85, 50, 15, 0.53, -0.25, Map.of("ldl", 6.0), ""),
      new SiteProfile("hospital-f", "F", "general hospital on Jeju",
          "제주특별자치도", 0.90, 60, 14, 0.50, -0.10, Map.of(), "NA"));

  private static final List<String> OFFSET_FEATURES = List.of("sbp", "glucose", "ldl", "creatinine");
  private static final double[] OFFSET_SIZES = {4, 7, 6, 0.12};

  /** The profile of site {@code index} (0-based): six fixed hospitals, then ones derived from {@code seed}. */
  static SiteProfile forSite(int index, long seed) {
    if (index < CANNED.size()) return CANNED.get(index);
    String code = code(index);
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 7919L * index);
    String home = KoreanRegions.anyProvince(rng).name();
    int lab = rng.nextInt(OFFSET_FEATURES.size() + 1);
    Map<String, Double> offsets = lab == OFFSET_FEATURES.size() ? Map.of()
        : Map.of(OFFSET_FEATURES.get(lab), (rng.nextBoolean() ? 1 : -1) * OFFSET_SIZES[lab]);
    return new SiteProfile("hospital-" + code.toLowerCase(java.util.Locale.ROOT), code,
        "generated hospital in " + home, home, 0.7 + 0.2 * rng.nextDouble(),
        50 + 16 * rng.nextDouble(), 12 + 4 * rng.nextDouble(), 0.42 + 0.16 * rng.nextDouble(),
        Math.max(-0.8, Math.min(0.8, 0.35 * rng.nextGaussian())), offsets, index % 2 == 0 ? "" : "NA");
  }

  /** Letters for site {@code index}: A..Z, then AA, AB, ... */
  static String code(int index) {
    StringBuilder s = new StringBuilder();
    for (int n = index + 1; n > 0; n = (n - 1) / 26) s.insert(0, (char) ('A' + (n - 1) % 26));
    return s.toString();
  }

  double offset(String feature) {
    return measurementOffsets.getOrDefault(feature, 0.0);
  }
}
