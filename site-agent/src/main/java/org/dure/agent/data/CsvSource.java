package org.dure.agent.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;

/**
 * A UTF-8 CSV extract with a header row (see {@link CsvTable} for the accepted format).
 *
 * @param file the extract
 * @param columns study-to-local column names
 */
public record CsvSource(Path file, ColumnMapping columns) implements DataSource {
  public CsvSource {
    Objects.requireNonNull(file, "file");
    if (columns == null) columns = ColumnMapping.none();
  }

  public CsvSource(Path file) {
    this(file, ColumnMapping.none());
  }

  @Override public CsvTable read() throws IOException, DataException {
    return columns.apply(CsvTable.read(file));
  }

  @Override public String describe() {
    return file.getFileName() == null ? file.toString() : file.getFileName().toString();
  }
}
