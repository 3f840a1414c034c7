package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.dure.tabular.CsvReader;
import org.dure.tabular.DataException;
import org.junit.jupiter.api.Tag;

/**
 * The CSV reader a site agent runs over a hospital's extract: every record is read, or the file is refused with a
 * {@link DataException} naming file, line and column. The first byte picks the declared separator.
 */
@Tag("fuzz")
class CsvFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void read(byte[] bytes) {
    if (bytes.length == 0) return;
    char separator = CsvReader.SEPARATORS.charAt(Math.floorMod(bytes[0], CsvReader.SEPARATORS.length()));
    byte[] csv = Arrays.copyOfRange(bytes, 1, bytes.length);
    String text = new String(csv, StandardCharsets.UTF_8);
    refusesOnlyWith(text, () -> {
      try (CsvReader r = CsvReader.open("extract.csv", new ByteArrayInputStream(csv), separator)) {
        int columns = r.header().size();
        check(columns >= 1 && columns <= csv.length + 1, "header of " + columns + " columns from " + csv.length + " bytes");
        long records = 0;
        while (r.next()) {
          check(r.record().length == columns, "a record of " + r.record().length + " fields under " + columns + " columns");
          check(++records <= csv.length, "more records than bytes");
        }
        return records;
      }
    }, DataException.class, IOException.class);
  }
}
