package org.dure.pseudonymisation;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A column that the pseudonymisation config does not declare holds values that look like direct
 * identifiers, so nothing was produced. The message names each such column, what its values look like and
 * how many matched, and says how to fix the config; it never contains the values themselves.
 */
public final class IdentifierFoundException extends RuntimeException {
  /** The kinds of direct identifier the scan recognises. */
  public enum Kind {
    RESIDENT_REGISTRATION_NUMBER("Korean resident registration numbers (YYMMDD-SNNNNNN)"),
    /** The column and an adjacent one hold the two halves of resident registration numbers (YYMMDD | SNNNNNN). */
    SPLIT_RESIDENT_REGISTRATION_NUMBER("halves of Korean resident registration numbers split over two adjacent columns"
        + " (YYMMDD | SNNNNNN)"),
    PHONE_NUMBER("phone numbers (e.g. 010-XXXX-XXXX, +82 10..., 0082-10-..., 02-XXX-XXXX, +CC international)"),
    EMAIL_ADDRESS("e-mail addresses"),
    /** The column's name is that of a direct identifier (name, 성명, rrn, 주민등록번호, phone, 연락처, address, 주소, dob, mrn, ...). */
    IDENTIFIER_COLUMN_NAME("a direct identifier, judging by its name"),
    /**
     * The column's values read like free text (long or several words, mostly different), which may name people or
     * places that no pattern recognises; allowed only if listed in {@code pseudonymisation.freeTextColumns}.
     */
    FREE_TEXT("free text, which may name people or places that no pattern recognises (long or several words, mostly"
        + " different)");

    private final String description;

    Kind(String description) {
      this.description = description;
    }

    /** What values of this kind look like, for messages. */
    public String description() {
      return description;
    }
  }

  /**
   * One undeclared column that holds identifiers.
   *
   * @param column the column's name
   * @param kind the kind of identifier (a column with several kinds gives one finding per kind)
   * @param matches how many of its values contain an identifier of that kind (for {@link Kind#IDENTIFIER_COLUMN_NAME}: all;
   *     for {@link Kind#SPLIT_RESIDENT_REGISTRATION_NUMBER}: the rows where it and the adjacent column hold the two halves;
   *     for {@link Kind#FREE_TEXT}: the values that are long or have several words)
   * @param values how many non-empty values the column has
   */
  public record Finding(String column, Kind kind, int matches, int values) {
    /** One line for messages: column, kind and count, never a value. */
    public String describe() {
      if (kind == Kind.IDENTIFIER_COLUMN_NAME) return "column \"" + column + "\" is " + kind.description();
      return "column \"" + column + "\" holds what look like " + kind.description() + ": " + matches + " of " + values
          + " non-empty values";
    }
  }

  private final String source;
  private final List<Finding> findings;

  IdentifierFoundException(String source, List<Finding> findings) {
    super(message(source, findings));
    this.source = source;
    this.findings = List.copyOf(findings);
  }

  /** The input's source name. */
  public String source() {
    return source;
  }

  /** Every offending column, in table order. */
  public List<Finding> findings() {
    return findings;
  }

  private static String message(String source, List<Finding> findings) {
    String columns = findings.stream().map(f -> "\"" + f.column() + "\": \"delete\"").collect(Collectors.joining(", "));
    return source + ": refusing to pseudonymise: " + findings.stream().map(Finding::describe).collect(Collectors.joining("; "))
        + ". Declare " + (findings.size() == 1 ? "this column" : "these columns") + " in pseudonymisation.columns, e.g. "
        + columns + " (or \"pseudonym\" if it is needed for linkage; \"keep\" only if you have checked that it holds no identifiers)"
        + (findings.stream().anyMatch(f -> f.kind() == Kind.FREE_TEXT)
            ? ". A free-text column that has been reviewed and must stay may instead be listed in"
                + " pseudonymisation.freeTextColumns: it is then kept and still scanned for resident registration numbers,"
                + " phone numbers and e-mail addresses"
            : "");
  }
}
