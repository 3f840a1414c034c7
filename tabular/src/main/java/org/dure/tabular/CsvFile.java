package org.dure.tabular;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A CSV file as a {@link RecordSource}: each {@link #open()} reads it again from the start with a {@link CsvReader},
 * holding one record at a time.
 *
 * @param file the file
 * @param separator its field separator, one of {@link CsvReader#SEPARATORS} (a comma unless the site declared another)
 */
public record CsvFile(Path file, char separator) implements RecordSource {
  public CsvFile {
    Objects.requireNonNull(file, "file");
    if (CsvReader.SEPARATORS.indexOf(separator) < 0)
      throw new IllegalArgumentException("the separator must be one of , ; tab |, was '" + separator + "'");
  }

  public CsvFile(Path file) {
    this(file, ',');
  }

  @Override public String sourceName() {
    return file.getFileName() == null ? file.toString() : file.getFileName().toString();
  }

  @Override public CsvReader open() throws IOException, DataException {
    return CsvReader.open(file, separator);
  }
}
