package org.dure.agent.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.dure.tabular.CsvTable;
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
    List<String> header = new ArrayList<>(table.header());
    Map<String, String> localToStudy = new HashMap<>();
    for (Map.Entry<String, String> e : studyToLocal.entrySet()) {
      if (table.columnIndex(e.getValue()) < 0)
        throw new DataException(table.fileName(), 0, null, "the column mapping \"" + e.getKey() + "\": \""
            + e.getValue() + "\" names a local column \"" + e.getValue() + "\" that the data does not have; its columns are "
            + table.header() + ". Fix the name in \"data\": {\"columns\": ...} of the agent configuration");
      localToStudy.put(e.getValue(), e.getKey());
    }
    for (int i = 0; i < header.size(); i++) {
      String renamed = localToStudy.get(header.get(i));
      if (renamed != null) header.set(i, renamed);
    }
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i);
      if (!localToStudy.containsValue(name) || localToStudy.containsKey(table.header().get(i))) continue;
      // An unmapped local column already carries a mapped study name.
      throw new DataException(table.fileName(), 0, name, "the column mapping renames \"" + studyToLocal.get(name)
          + "\" to \"" + name + "\", but the data already has a column \"" + name + "\"; map that column too"
          + " (or rename it in the query or extract)");
    }
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
}
