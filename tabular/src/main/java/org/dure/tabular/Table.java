package org.dure.tabular;

import java.util.List;

/**
 * A {@link RecordSource} whose columns and number of records are known before it is read: what a study is prepared
 * from. The number lets a reader check, before it allocates anything, that the columns it needs fit in memory
 * ({@link MemoryBudget}).
 */
public interface Table extends RecordSource {
  /** Column names in order. */
  List<String> header();

  /** Number of records, not counting the header. */
  int rowCount();

  /** Position of column {@code name} in the header, or -1 if there is no such column. */
  default int columnIndex(String name) {
    return header().indexOf(name);
  }

  /** The source name (as {@link #sourceName()}), as {@code CsvTable} has always called it. */
  default String fileName() {
    return sourceName();
  }
}
