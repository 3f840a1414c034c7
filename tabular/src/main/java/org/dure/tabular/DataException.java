package org.dure.tabular;

/**
 * A site's data cannot be used for a study as it is: the file is malformed, lacks the study's columns, or
 * holds a value the study cannot read. The message names the file, the physical line and the column where
 * known, e.g. {@code hospital-a.csv line 17, column "bmi": "abc" is not a number}, so that the site
 * agent can decline the study with it and the data manager can fix the file.
 */
public final class DataException extends Exception {
  private final String file;
  private final int line;
  private final String column;
  private final String detail;
  private final String publicDetail;

  /**
   * @param file the file's name (not its full path, which may reveal the site's directory layout)
   * @param line 1-based physical line, or 0 when the problem is not tied to a line
   * @param column column name, or null
   * @param detail what is wrong
   */
  public DataException(String file, int line, String column, String detail) {
    this(file, line, column, detail, detail);
  }

  /**
   * @param publicDetail what is wrong, without any data value: what may leave the hospital (in a decline reason)
   */
  public DataException(String file, int line, String column, String detail, String publicDetail) {
    super(where(file, line, column) + detail);
    this.file = file;
    this.line = line;
    this.column = column;
    this.detail = detail;
    this.publicDetail = publicDetail;
  }

  private static String where(String file, int line, String column) {
    return file + (line > 0 ? " line " + line : "") + (column != null ? ", column \"" + column + "\"" : "") + ": ";
  }

  /** The message without any data value: file, line, column and what is wrong, for the consortium to see. */
  public String publicMessage() {
    return where(file, line, column) + publicDetail;
  }

  /** Name of the file. */
  public String file() {
    return file;
  }

  /** 1-based physical line of the offending record, or 0 when the problem concerns the whole file. */
  public int line() {
    return line;
  }

  /** Name of the offending column, or null. */
  public String column() {
    return column;
  }

  /** The message without the file, line and column prefix. */
  public String detail() {
    return detail;
  }
}
