package org.dure.agent.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ColumnMappingTest {
  @TempDir Path dir;

  private Path csv(String text) throws Exception {
    return Files.writeString(dir.resolve("extract.csv"), text);
  }

  @Test void aCsvSourceWithoutMappingReadsTheFileAsBefore() throws Exception {
    Path file = csv("age,sex,\"note, quoted\"\n61,F,\"a \"\"b\"\"\"\n\n47,M,\n");

    CsvTable viaSource = new CsvSource(file).read();
    CsvTable direct = CsvTable.read(file);

    assertEquals(direct.header(), viaSource.header());
    assertEquals(direct.rowCount(), viaSource.rowCount());
    for (int r = 0; r < direct.rowCount(); r++) {
      assertEquals(direct.line(r), viaSource.line(r));
      for (int c = 0; c < direct.header().size(); c++) assertEquals(direct.value(r, c), viaSource.value(r, c));
    }
    assertEquals("a \"b\"", viaSource.value(0, 2));
    assertEquals(4, viaSource.line(1));
    assertEquals("extract.csv", viaSource.fileName());
  }

  @Test void aMalformedCsvStillFailsWithFileLineAndAdvice() throws Exception {
    Path file = csv("age,sex\n61,F,extra\n");

    DataException e = assertThrows(DataException.class, () -> new CsvSource(file).read());

    assertEquals("extract.csv line 2: expected 2 fields as in the header, found 3; quote values that contain commas",
        e.getMessage());
  }

  @Test void mappedColumnsAreRenamedAndOthersKeepTheirNames() throws Exception {
    Path file = csv("age_years,sex,measurement_hba1c\n61,F,7.2\n47,M,\n");
    Map<String, String> mapping = new LinkedHashMap<>();
    mapping.put("age", "age_years");
    mapping.put("hba1c", "measurement_hba1c");

    CsvTable t = new CsvSource(file, new ColumnMapping(mapping)).read();

    assertEquals(List.of("age", "sex", "hba1c"), t.header());
    assertEquals(0, t.columnIndex("age"));
    assertEquals(-1, t.columnIndex("age_years"));
    assertEquals("7.2", t.value(0, 2));
    assertEquals("", t.value(1, 2));
    assertEquals(3, t.line(1));
  }

  @Test void twoColumnsCanSwapNames() throws Exception {
    CsvTable t = new ColumnMapping(Map.of("a", "b", "b", "a")).apply(CsvTable.read(csv("a,b\n1,2\n")));

    assertEquals(List.of("b", "a"), t.header());
    assertEquals("1", t.value(0, t.columnIndex("b")));
  }

  @Test void aMappingToAMissingColumnNamesBothAndTheColumnsThereAre() throws Exception {
    Path file = csv("age_years,sex\n61,F\n");

    DataException e = assertThrows(DataException.class,
        () -> new CsvSource(file, new ColumnMapping(Map.of("hba1c", "measurement_hba1c"))).read());

    assertEquals("extract.csv: the column mapping \"hba1c\": \"measurement_hba1c\" names a local column"
        + " \"measurement_hba1c\" that the data does not have; its columns are [age_years, sex]. Fix the name in"
        + " \"data\": {\"columns\": ...} of the agent configuration", e.getMessage());
  }

  @Test void renamingOntoAnUnmappedColumnIsRefused() throws Exception {
    Path file = csv("age,age_years\n61,62\n");

    DataException e = assertThrows(DataException.class,
        () -> new CsvSource(file, new ColumnMapping(Map.of("age", "age_years"))).read());

    assertEquals("extract.csv, column \"age\": the column mapping renames \"age_years\" to \"age\", but the data already"
        + " has a column \"age\"; map that column too (or rename it in the query or extract)", e.getMessage());
  }

  @Test void noMappingReturnsTheSameTable() throws Exception {
    CsvTable t = CsvTable.read(csv("a\n1\n"));
    assertSame(t, ColumnMapping.none().apply(t));
  }
}
