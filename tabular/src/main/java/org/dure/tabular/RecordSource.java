package org.dure.tabular;

import java.io.IOException;

/**
 * Records that can be read from the start as often as needed: a CSV file ({@link CsvFile}), a table in memory
 * ({@link CsvTable}), or a pseudonymised extract cached on disk. Pseudonymisation reads its input more than once
 * (scan, then count quasi-identifier groups, then write), each time holding one record at a time.
 */
public interface RecordSource {
  /** What errors name as the source (a file name, never its directory). */
  String sourceName();

  /**
   * Opens the records from the first one.
   *
   * @throws DataException if the header is malformed (an empty file, a duplicate column name, the wrong separator)
   * @throws IOException if the source cannot be read
   */
  Records open() throws IOException, DataException;
}
