package org.dure.agent.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.io.IOException;
import org.dure.tabular.CsvTable;
import org.dure.tabular.RecordSource;
import org.dure.tabular.Records;
import org.dure.tabular.DataException;

/**
 * Maps the column names studies ask for (e.g. {@code "hba1c"}) to the site's own column names (e.g.
 * {@code "measurement_hba1c"}), so that a hospital can take part without renaming its extract or view.
 * Applied after reading: each mapped local column is renamed to the study's name; unmapped columns keep
 * their names. Mapping two study names to one local column is refused, and so is a mapping whose local
 * column is missing from the data.
 *
 * @param studyToLocal study column name to local column name, in configuration order
 */
public record ColumnMapping(Map<String, String> studyToLocal) {
  private static final ColumnMapping NONE = new ColumnMapping(Map.of());

  public ColumnMapping {
    Objects.requireNonNull(studyToLocal, "studyToLocal");
    Map<String, String> byLocal = new HashMap<>();
    for (Map.Entry<String, String> e : studyToLocal.entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank())
        throw new IllegalArgumentException("\"columns\": a study column name is empty");
      if (e.getValue() == null || e.getValue().isBlank())
        throw new IllegalArgumentException("\"columns\": \"" + e.getKey() + "\" maps to an empty local column name");
      String other = byLocal.putIfAbsent(e.getValue(), e.getKey());
      if (other != null)
        throw new IllegalArgumentException("\"columns\" maps both \"" + other + "\" and \"" + e.getKey()
            + "\" to the local column \"" + e.getValue() + "\"; a local column can stand for one study column only");
    }
    studyToLocal = Collections.unmodifiableMap(new LinkedHashMap<>(studyToLocal));
  }

  /** No renaming: studies see the columns under their local names. */
  public static ColumnMapping none() {
    return NONE;
  }

  public boolean isEmpty() {
    return studyToLocal.isEmpty();
  }

  /**
   * The table with every mapped local column renamed to its study name; values and row numbers unchanged.
   *
   * @throws DataException if a mapped local column is missing from {@code table}, or if renaming would give
   *     two columns one name (the table already has an unmapped column under a mapped study name)
   */
  public CsvTable apply(CsvTable table) throws DataException {
    if (studyToLocal.isEmpty()) return table;
    List<String> header = rename(table.fileName(), table.header());
    List<String[]> records = new ArrayList<>(table.rowCount());
    int[] lines = new int[table.rowCount()];
    int width = header.size();
    for (int r = 0; r < table.rowCount(); r++) {
      String[] row = new String[width];
      for (int c = 0; c < width; c++) row[c] = table.value(r, c);
      records.add(row);
      lines[r] = table.line(r);
    }
    return CsvTable.of(table.fileName(), header, records, lines);
  }

  /**
   * {@code source} with every mapped local column renamed to its study name, checked and renamed at each read.
   *
   * @see #apply(CsvTable)
   */
  public RecordSource apply(RecordSource source) {
    if (studyToLocal.isEmpty()) return source;
    return new RecordSource() {
      @Override public String sourceName() {
        return source.sourceName();
      }

      @Override public Records open() throws IOException, DataException {
        Records in = source.open();
        List<String> header;
        try {
          header = rename(in.sourceName(), in.header());
        } catch (DataException e) {
          in.close();
          throw e;
        }
        return new Records() {
          @Override public String sourceName() {
            return in.sourceName();
          }

          @Override public List<String> header() {
            return header;
          }

          @Override public boolean next() throws IOException, DataException {
            return in.next();
          }

          @Override public String value(int column) {
            return in.value(column);
          }

          @Override public int line() {
            return in.line();
          }

          @Override public void close() throws IOException {
            in.close();
          }
        };
      }
    };
  }

  /** The header with the mapped columns renamed. */
  private List<String> rename(String fileName, List<String> original) throws DataException {
    List<String> header = new ArrayList<>(original);
    Map<String, String> localToStudy = new HashMap<>();
    for (Map.Entry<String, String> e : studyToLocal.entrySet()) {
      if (original.indexOf(e.getValue()) < 0)
        throw new DataException(fileName, 0, null, "the column mapping \"" + e.getKey() + "\": \""
            + e.getValue() + "\" names a local column \"" + e.getValue() + "\" that the data does not have; its columns are "
            + original + ". Fix the name in \"data\": {\"columns\": ...} of the agent configuration");
      localToStudy.put(e.getValue(), e.getKey());
    }
    for (int i = 0; i < header.size(); i++) {
      String renamed = localToStudy.get(header.get(i));
      if (renamed != null) header.set(i, renamed);
    }
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i);
      if (!localToStudy.containsValue(name) || localToStudy.containsKey(original.get(i))) continue;
      // An unmapped local column already carries a mapped study name.
      throw new DataException(fileName, 0, name, "the column mapping renames \"" + studyToLocal.get(name)
          + "\" to \"" + name + "\", but the data already has a column \"" + name + "\"; map that column too"
          + " (or rename it in the query or extract)");
    }
    return List.copyOf(header);
  }
}
