package org.dure.pseudonymisation;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.Period;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Set;

/**
 * How one declared column is treated. Each technique is one of the PIPC pseudonymisation guideline's
 * families: deletion of direct identifiers, keyed-hash pseudonyms, or generalisation (rounding ages and
 * dates, coarsening addresses); {@link Keep} is the data officer's statement that a column was reviewed.
 */
sealed interface Technique {
  /** What the report says happened to the column. */
  enum Kind { REMOVED, PSEUDONYMISED, GENERALISED, KEPT }

  /** Values that mean "missing" (trimmed, any case), as in {@code StudyData}; they pass through unchanged. */
  Set<String> MISSING = Set.of("", "na", "n/a", "nan", "null");

  Kind kind();

  /** The output column that replaces {@code column}, or null if it is removed. */
  default String outputName(String column) {
    return kind() == Kind.REMOVED ? null : column;
  }

  /** How the report describes the technique, e.g. {@code ageBand(width=10, at=2025-01-01)}. */
  String describe();

  /**
   * The output value for {@code value}. {@code keys} computes keyed hashes; {@code rowKey} is the row's
   * raw value of the shift key column (only used by {@link ShiftDays}).
   *
   * @throws BadValue if the value cannot be read; its message never contains the value
   */
  default String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
    return value;
  }

  static boolean missing(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && value.charAt(start) <= ' ') start++;
    while (end > start && value.charAt(end - 1) <= ' ') end--;
    if (end == start) return true;
    if (end - start > 4) return false; // longer than every missing marker
    return MISSING.contains(value.substring(start, end).toLowerCase(Locale.ROOT));
  }

  /** A value the technique cannot read; the message describes the problem without quoting the value. */
  final class BadValue extends Exception {
    BadValue(String message) {
      super(message, null, false, false);
    }
  }

  record Delete() implements Technique {
    public Kind kind() { return Kind.REMOVED; }
    public String describe() { return "delete"; }
  }

  record Keep() implements Technique {
    public Kind kind() { return Kind.KEPT; }
    public String describe() { return "keep (reviewed, not scanned)"; }
  }

  /** HMAC-SHA-256 of the trimmed value under the site secret, first 128 bits in hex. */
  record Pseudonym() implements Technique {
    public Kind kind() { return Kind.PSEUDONYMISED; }
    public String describe() { return "pseudonym (HMAC-SHA-256 with the site secret, 128 bits hex)"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) {
      return missing(value) ? value : keys.pseudonym(value.trim());
    }
  }

  /** Completed years between the birth date and {@code at}, {@code top+} from {@code top} on. */
  record Age(LocalDate at, Integer top, String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() { return "age(at=" + at + (top == null ? "" : ", top=" + top) + ")"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
      if (missing(value)) return value;
      int age = years(Dates.parse(value), at);
      return top != null && age >= top ? top + "+" : Integer.toString(age);
    }
  }

  /** Age bands {@code 40-49} of {@code width} years on {@code at}; {@code top+} from {@code top} on. */
  record AgeBand(int width, LocalDate at, Integer top, String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() {
      return "ageBand(width=" + width + ", at=" + at + (top == null ? "" : ", top=" + top) + ")";
    }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
      if (missing(value)) return value;
      return Band.label(years(Dates.parse(value), at), width, top);
    }
  }

  /** A whole-number column (such as an existing age) in bands {@code 40-49}; {@code top+} from {@code top} on. */
  record Band(int width, Integer top, String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() { return "band(width=" + width + (top == null ? "" : ", top=" + top) + ")"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
      if (missing(value)) return value;
      double v;
      try {
        v = Double.parseDouble(value.trim());
      } catch (NumberFormatException e) {
        throw new BadValue("is not a number");
      }
      if (!Double.isFinite(v)) throw new BadValue("is not a finite number");
      return label((long) Math.floor(v), width, top);
    }

    static String label(long value, int width, Integer top) {
      if (top != null && value >= top) return top + "+";
      long low = Math.floorDiv(value, width) * width;
      return width == 1 ? Long.toString(low) : low + "-" + (low + width - 1);
    }
  }

  /** The date's year and month, {@code 2024-03}. */
  record Month(String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() { return "month"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
      if (missing(value)) return value;
      return Dates.parse(value).format(DateTimeFormatter.ofPattern("yyyy-MM", Locale.ROOT));
    }
  }

  /** The date's year, {@code 2024}. */
  record Year(String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() { return "year"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
      if (missing(value)) return value;
      return Integer.toString(Dates.parse(value).getYear());
    }
  }

  /**
   * The date moved by 1 to {@code max} days, earlier or later, by an amount derived from the site secret and
   * the row's value of column {@code by}: every date of one patient moves by the same amount, so intervals
   * between them are kept, while the calendar dates are not.
   */
  record ShiftDays(int max, String by, String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() { return "shiftDays(max=" + max + ", by=" + by + ")"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) throws BadValue {
      if (missing(value)) return value;
      LocalDate date = Dates.parse(value);
      if (rowKey == null || missing(rowKey))
        throw new BadValue("has a date but column \"" + by + "\", which keys the shift, is empty in this row");
      return date.plusDays(keys.shiftDays(rowKey.trim(), max)).toString();
    }
  }

  /** A Korean address reduced to its 시/도 (first-level division), in short form: {@code 서울}, {@code 경기}. */
  record Region(String as) implements Technique {
    public Kind kind() { return Kind.GENERALISED; }
    public String outputName(String column) { return as; }
    public String describe() { return "region (시/도; unrecognised → " + KoreanProvinces.UNRECOGNISED + ")"; }

    @Override public String apply(String value, SiteSecret.Keyed keys, String rowKey) {
      if (missing(value)) return value;
      return KoreanProvinces.of(value);
    }
  }

  private static int years(LocalDate birth, LocalDate at) throws BadValue {
    if (birth.isAfter(at)) throw new BadValue("is a birth date after the configured \"at\" date " + at);
    return Period.between(birth, at).getYears();
  }

  /** Dates as hospital extracts write them: {@code 2024-03-05}, {@code 20240305}, {@code 2024.03.05}, {@code 2024/03/05}. */
  final class Dates {
    private Dates() {}

    private static final java.util.regex.Pattern COMPACT = java.util.regex.Pattern.compile("\\d{8}");
    private static final java.util.regex.Pattern DOTTED = java.util.regex.Pattern.compile("\\d{4}[./]\\d{1,2}[./]\\d{1,2}\\.?");

    static LocalDate parse(String value) throws BadValue {
      String v = value.trim();
      if (v.length() > 10 && (v.charAt(10) == 'T' || v.charAt(10) == ' ')) v = v.substring(0, 10); // date-time: keep the date
      if (v.length() == 10 && v.charAt(4) == '-' && v.charAt(7) == '-') {
        // ISO, the common case: no pattern needed
      } else if (COMPACT.matcher(v).matches()) v = v.substring(0, 4) + "-" + v.substring(4, 6) + "-" + v.substring(6);
      else if (DOTTED.matcher(v).matches()) {
        String[] p = v.replaceAll("\\.$", "").split("[./]");
        v = p[0] + "-" + (p[1].length() == 1 ? "0" : "") + p[1] + "-" + (p[2].length() == 1 ? "0" : "") + p[2];
      }
      try {
        return LocalDate.parse(v);
      } catch (DateTimeException e) {
        throw new BadValue("is not a date (expected e.g. 2024-03-05, 20240305 or 2024.03.05)");
      }
    }
  }
}
