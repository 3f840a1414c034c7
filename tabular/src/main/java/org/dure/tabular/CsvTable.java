package org.dure.tabular;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A CSV file read into memory as strings: a header row naming the columns, then records of exactly as
 * many fields, in the format {@link CsvReader} reads. For small tables (tests, a database query's result); an
 * extract of millions of rows is read as a {@link CsvFile}, one record at a time, since its strings would take
 * several times the file's size.
 *
 * <p>Each record remembers the physical line on which it starts, so that errors found later can point
 * the data manager at the right line.
 */
public final class CsvTable implements Table {
  private final String fileName;
  private final List<String> header;
  private final Map<String, Integer> index;
  private final List<String[]> records;
  private final int[] lines;

  private CsvTable(String fileName, List<String> header, List<String[]> records, int[] lines) {
    this.fileName = fileName;
    this.header = List.copyOf(header);
    this.records = records;
    this.lines = lines;
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < header.size(); i++) idx.put(header.get(i), i);
    this.index = idx;
  }

  /**
   * A table built in memory (from a database query, or by transforming another table).
   *
   * @param sourceName what errors name as the source (a file name, or e.g. {@code "query hospital-a.sql"})
   * @param lines for each record, the line (or row number) that errors should point at
   * @throws IllegalArgumentException on a duplicate column name, a record of the wrong width, or mismatched lengths
   */
  public static CsvTable of(String sourceName, List<String> header, List<String[]> records, int[] lines) {
    if (records.size() != lines.length)
      throw new IllegalArgumentException(records.size() + " records but " + lines.length + " line numbers");
    if (new java.util.HashSet<>(header).size() != header.size())
      throw new IllegalArgumentException(sourceName + ": duplicate column name in " + header);
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).length != header.size())
        throw new IllegalArgumentException(sourceName + ", line " + lines[i] + ": " + records.get(i).length
            + " fields, expected " + header.size());
    }
    return new CsvTable(sourceName, header, List.copyOf(records), lines.clone());
  }

  /**
   * Reads {@code file}.
   *
   * @throws DataException if the file is empty, not UTF-8, has a duplicate column name, a record with
   *     the wrong number of fields, or broken quoting
   * @throws IOException if the file cannot be read
   */
  public static CsvTable read(Path file) throws IOException, DataException {
    return readAll(new CsvFile(file));
  }

  /**
   * Reads every record of {@code source} into memory.
   *
   * @throws DataException if the source is malformed
   * @throws IOException if it cannot be read
   */
  public static CsvTable readAll(RecordSource source) throws IOException, DataException {
    if (source instanceof CsvTable t) return t;
    try (Records r = source.open()) {
      List<String[]> records = new ArrayList<>();
      int[] lines = new int[1024];
      int width = r.header().size();
      while (r.next()) {
        String[] row = new String[width];
        for (int c = 0; c < width; c++) row[c] = r.value(c);
        if (records.size() == lines.length) lines = java.util.Arrays.copyOf(lines, lines.length * 2);
        lines[records.size()] = r.line();
        records.add(row);
      }
      return new CsvTable(r.sourceName(), r.header(), Collections.unmodifiableList(records),
          java.util.Arrays.copyOf(lines, records.size()));
    }
  }

  @Override public String sourceName() {
    return fileName;
  }

  /** The records in memory, read again from the first at each call. */
  @Override public Records open() {
    return new Records() {
      private int row = -1;

      @Override public String sourceName() {
        return fileName;
      }

      @Override public List<String> header() {
        return header;
      }

      @Override public boolean next() {
        if (row + 1 >= records.size()) {
          row = records.size();
          return false;
        }
        row++;
        return true;
      }

      @Override public String value(int column) {
        return records.get(row)[column];
      }

      @Override public int line() {
        return lines[row];
      }

      @Override public void close() {}
    };
  }

  /** The file's name, as used in error messages. */
  @Override public String fileName() {
    return fileName;
  }

  /** Column names in file order. */
  @Override public List<String> header() {
    return header;
  }

  /** Position of column {@code name} in the header, or -1 if the file has no such column. */
  @Override public int columnIndex(String name) {
    return index.getOrDefault(name, -1);
  }

  /** Number of records, not counting the header. */
  @Override public int rowCount() {
    return records.size();
  }

  /** The raw (untrimmed) value of {@code column} in record {@code row} (both 0-based). */
  public String value(int row, int column) {
    return records.get(row)[column];
  }

  /** The 1-based physical line on which record {@code row} (0-based) starts; the header is on line 1 or later. */
  public int line(int row) {
    return lines[row];
  }

}
