package org.dure.tabular;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * A table's records read forward, one at a time: what lets a site agent read, pseudonymise and encode an extract of
 * millions of rows without holding its text. {@link #next()} moves to the next record; {@link #value(int)} and
 * {@link #line()} describe the current one. Close it when done (a file stays open until then).
 */
public interface Records extends Closeable {
  /** What errors name as the source: a file name, or e.g. {@code "query hospital-a.sql"}. */
  String sourceName();

  /** Column names in order; every record has exactly this many values. */
  List<String> header();

  /**
   * Moves to the next record.
   *
   * @return false at the end
   * @throws DataException if the record is malformed (the message names the file and line)
   */
  boolean next() throws IOException, DataException;

  /** The raw (untrimmed) value of {@code column} (0-based) in the current record. */
  String value(int column);

  /** The 1-based physical line (or row number) on which the current record starts. */
  int line();

  @Override void close() throws IOException;
}
