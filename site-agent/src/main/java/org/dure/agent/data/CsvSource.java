package org.dure.agent.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import org.dure.tabular.CsvFile;
import org.dure.tabular.CsvReader;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.dure.tabular.RecordSource;

/**
 * A UTF-8 CSV extract with a header row (see {@link CsvReader} for the accepted format), read one record at a time.
 *
 * @param file the extract
 * @param columns study-to-local column names
 * @param separator the field separator: a comma unless {@code "separator"} in {@code "data"} declares {@code ;},
 *     tab or {@code |}
 */
public record CsvSource(Path file, ColumnMapping columns, char separator) implements DataSource {
  public CsvSource {
    Objects.requireNonNull(file, "file");
    if (columns == null) columns = ColumnMapping.none();
    if (CsvReader.SEPARATORS.indexOf(separator) < 0)
      throw new IllegalArgumentException("the separator must be one of , ; tab |, was '" + separator + "'");
  }

  public CsvSource(Path file, ColumnMapping columns) {
    this(file, columns, ',');
  }

  public CsvSource(Path file) {
    this(file, ColumnMapping.none());
  }

  @Override public CsvTable read() throws IOException, DataException {
    return CsvTable.readAll(records());
  }

  @Override public RecordSource records() {
    return columns.apply(new CsvFile(file, separator));
  }

  @Override public String describe() {
    return file.getFileName() == null ? file.toString() : file.getFileName().toString();
  }
}
