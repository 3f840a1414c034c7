package org.dure.protocol.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What the multi-centre validation report at the end of a study computes: the decision threshold for accuracy,
 * sensitivity and specificity, and the patient subgroups each site breaks its figures down by.
 *
 * @param threshold a prediction {@code p >= threshold} counts as positive
 * @param subgroups the subgroups the study names, or null for the defaults ({@link #DEFAULT_SUBGROUPS}: {@code sex},
 *     and {@code age} in bands, each only where the site's data has the column)
 */
public record ReportPlan(double threshold, List<Subgroup> subgroups) {
  public static final double DEFAULT_THRESHOLD = 0.5;
  public static final List<Subgroup> DEFAULT_SUBGROUPS = List.of(Subgroup.categorical("sex"),
      Subgroup.banded("age", List.of(40.0, 60.0, 80.0)));

  public ReportPlan {
    if (!(threshold > 0 && threshold < 1)) throw new IllegalArgumentException("threshold must be in (0, 1), was " + threshold);
    subgroups = subgroups == null ? null : List.copyOf(subgroups);
  }

  public static ReportPlan defaults() {
    return new ReportPlan(DEFAULT_THRESHOLD, null);
  }

  /** Whether this is the plan of a study without a {@code report} section (canonical JSON then omits it). */
  public boolean isDefault() {
    return threshold == DEFAULT_THRESHOLD && subgroups == null;
  }

  /**
   * The subgroups a site with these columns computes: the named ones that it has (a named column it lacks is
   * reported as unavailable, not an error), or the defaults it has.
   */
  public List<Subgroup> subgroupsFor(Set<String> columns) {
    List<Subgroup> out = new ArrayList<>();
    for (Subgroup g : subgroups == null ? DEFAULT_SUBGROUPS : subgroups) if (columns.contains(g.column())) out.add(g);
    return out;
  }

  /** Every subgroup the study asks for (the named ones, or the defaults). */
  public List<Subgroup> requested() {
    return subgroups == null ? DEFAULT_SUBGROUPS : subgroups;
  }

  /**
   * A subgroup variable: a categorical column (each distinct value a subgroup), or a numeric column cut into bands.
   *
   * @param bands ascending cut points ({@code [40, 60, 80]}: {@code <40}, {@code 40-<60}, {@code 60-<80},
   *     {@code >=80}); empty for a categorical column
   */
  public record Subgroup(String column, List<Double> bands) {
    /** The level of a value that is missing or, for a banded column, not a number. */
    public static final String MISSING = "(missing)";

    public Subgroup {
      Objects.requireNonNull(column, "column");
      bands = bands == null ? List.of() : List.copyOf(bands);
      for (int i = 1; i < bands.size(); i++)
        if (!(bands.get(i) > bands.get(i - 1))) throw new IllegalArgumentException("bands must be strictly ascending, was " + bands);
    }

    public static Subgroup categorical(String column) {
      return new Subgroup(column, List.of());
    }

    public static Subgroup banded(String column, List<Double> bands) {
      return new Subgroup(column, bands);
    }

    public boolean isBanded() {
      return !bands.isEmpty();
    }

    /** The subgroup level of one raw (trimmed) value: the value itself, its band, or {@link #MISSING}. */
    public String levelOf(String raw) {
      String v = raw == null ? "" : raw.trim();
      if (v.isEmpty() || Set.of("na", "n/a", "nan", "null").contains(v.toLowerCase(java.util.Locale.ROOT))) return MISSING;
      if (!isBanded()) return v;
      double x;
      try {
        x = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        return MISSING;
      }
      if (!Double.isFinite(x)) return MISSING;
      if (x < bands.get(0)) return "<" + fmt(bands.get(0));
      for (int i = 1; i < bands.size(); i++) if (x < bands.get(i)) return fmt(bands.get(i - 1)) + "-<" + fmt(bands.get(i));
      return ">=" + fmt(bands.get(bands.size() - 1));
    }

    private static String fmt(double v) {
      return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
  }
}
