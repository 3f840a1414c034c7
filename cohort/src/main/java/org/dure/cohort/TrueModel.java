package org.dure.cohort;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The logistic model that draws each patient's outcome from the patient's <em>true</em> values (before a
 * site's measurement offsets): {@code logit(p) = intercept + siteShift + sum(coefficient * (value -
 * center) / scale)} over numeric terms, plus the coefficient of each indicator term whose level applies.
 */
final class TrueModel {
  /** One term; numeric when {@code level} is null, otherwise an indicator of {@code feature == level}. */
  record Term(String feature, String level, double center, double scale, double coefficient) {
    double perUnit() {
      return Math.round(coefficient / scale * 1e9) / 1e9;
    }
  }

  static final double INTERCEPT = -1.9;

  static final List<Term> TERMS = List.of(
      new Term("age", null, 60, 10, 0.55),
      new Term("bmi", null, 24, 4, 0.20),
      new Term("sbp", null, 130, 20, 0.45),
      new Term("glucose", null, 100, 30, 0.40),
      new Term("ldl", null, 120, 40, 0.30),
      new Term("creatinine", null, 0.9, 0.3, 0.35),
      new Term("sex", "M", 0, 1, 0.35),
      new Term("smoking_status", "former", 0, 1, 0.30),
      new Term("smoking_status", "current", 0, 1, 0.75));

  private TrueModel() {}

  static double probability(double siteShift, int age, String sex, double bmi, double sbp, double glucose,
                            double ldl, double creatinine, String smoking) {
    Map<String, Double> numeric = Map.of("age", (double) age, "bmi", bmi, "sbp", sbp, "glucose", glucose,
        "ldl", ldl, "creatinine", creatinine);
    Map<String, String> levels = Map.of("sex", sex, "smoking_status", smoking);
    double z = INTERCEPT + siteShift;
    for (Term t : TERMS) {
      if (t.level == null) z += t.coefficient * (numeric.get(t.feature) - t.center) / t.scale;
      else if (t.level.equals(levels.get(t.feature))) z += t.coefficient;
    }
    return 1 / (1 + Math.exp(-z));
  }

  /** The model as written to {@code truth.json}. */
  static Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("link", "logit");
    m.put("formula", "logit(p) = intercept + site.interceptShift + sum over numeric terms of coefficient * (value - center) / scale"
        + " + sum over indicator terms (feature == level) of coefficient; values are true values, before site measurement offsets");
    m.put("intercept", INTERCEPT);
    m.put("terms", TERMS.stream().map(t -> {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("feature", t.feature);
      if (t.level == null) {
        o.put("center", t.center);
        o.put("scale", t.scale);
        o.put("coefficient", t.coefficient);
        o.put("coefficientPerUnit", t.perUnit());
      } else {
        o.put("level", t.level);
        o.put("coefficient", t.coefficient);
      }
      return o;
    }).toList());
    return m;
  }
}
