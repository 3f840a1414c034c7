package org.dure.tabular;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTableTest {
  @TempDir Path dir;

  private CsvTable read(String content) throws IOException, DataException {
    Path file = dir.resolve("hospital-a.csv");
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return CsvTable.read(file);
  }

  private DataException failure(String content) {
    return assertThrows(DataException.class, () -> read(content));
  }

  @Test void readsHeaderAndRecords() throws Exception {
    CsvTable t = read("id,age,sex\n1,63,M\n2,58,F\n");
    assertEquals(List.of("id", "age", "sex"), t.header());
    assertEquals(2, t.rowCount());
    assertEquals("58", t.value(1, 1));
    assertEquals(2, t.columnIndex("sex"));
    assertEquals(-1, t.columnIndex("bmi"));
    assertEquals("hospital-a.csv", t.fileName());
  }

  @Test void quotedFieldsKeepCommasEscapedQuotesAndLineBreaks() throws Exception {
    CsvTable t = read("name,address,note\n"
        + "김영수,\"서울특별시 강남구 테헤란로 152, 101동 1203호\",\"said \"\"hello\"\"\"\n"
        + "\"이\"\"순자\",\"line one\r\nline two\",\"\"\n");
    assertEquals("서울특별시 강남구 테헤란로 152, 101동 1203호", t.value(0, 1));
    assertEquals("said \"hello\"", t.value(0, 2));
    assertEquals("이\"순자", t.value(1, 0));
    assertEquals("line one\r\nline two", t.value(1, 1));
    assertEquals("", t.value(1, 2));
  }

  @Test void recordsRememberThePhysicalLineWhereTheyStart() throws Exception {
    CsvTable t = read("a,b\r\n1,\"x\ny\nz\"\r\n\r\n2,3\r\n3,4");
    assertEquals(3, t.rowCount());
    assertEquals(2, t.line(0));
    assertEquals(6, t.line(1), "the quoted field spans lines 2-4 and line 5 is blank");
    assertEquals(7, t.line(2));
  }

  @Test void toleratesByteOrderMarkAndTrimsHeaderNames() throws Exception {
    CsvTable t = read("\uFEFFage , sex\n63,M\n");
    assertEquals(List.of("age", "sex"), t.header());
    assertEquals(0, t.columnIndex("age"));
  }

  @Test void acceptsLoneCarriageReturnsAndMissingFinalLineEnd() throws Exception {
    CsvTable t = read("a,b\r1,2\r3,4");
    assertEquals(2, t.rowCount());
    assertEquals("4", t.value(1, 1));
    assertEquals(3, t.line(1));
  }

  @Test void emptyFieldsAreKept() throws Exception {
    CsvTable t = read("a,b,c\n,,\n");
    assertEquals(1, t.rowCount());
    assertEquals("", t.value(0, 2));
  }

  @Test void headerOnlyFileHasNoRecords() throws Exception {
    assertEquals(0, read("a,b\n").rowCount());
  }

  @Test void raggedRowFailsNamingFileLineAndFieldCounts() {
    DataException e = failure("a,b,c\n1,2,3\n4,5\n");
    assertEquals("hospital-a.csv line 3: expected 3 fields as in the header, found 2; check for a missing field or separator", e.getMessage());
    assertEquals("hospital-a.csv", e.file());
    assertEquals(3, e.line());
    assertNull(e.column());
  }

  @Test void rowWithTooManyFieldsSuggestsQuoting() {
    DataException e = failure("a,b\n1,2\n3,서울특별시 강남구, 101동\n");
    assertEquals("hospital-a.csv line 3: expected 2 fields as in the header, found 3; quote values that contain commas", e.getMessage());
  }

  @Test void emptyFileFails() {
    DataException e = failure("");
    assertEquals("hospital-a.csv: the file is empty; expected a header row naming the columns", e.getMessage());
    assertEquals(0, e.line());
  }

  @Test void fileOfBlankLinesCountsAsEmpty() {
    assertEquals("hospital-a.csv: the file is empty; expected a header row naming the columns", failure("\n\r\n\n").getMessage());
  }

  @Test void duplicateHeaderNameFails() {
    DataException e = failure("id,age,sex,age\n1,2,3,4\n");
    assertEquals("hospital-a.csv line 1, column \"age\": the header names this column twice (fields 2 and 4); rename one of them", e.getMessage());
    assertEquals("age", e.column());
  }

  @Test void unclosedQuoteFailsAtTheLineWhereItOpened() {
    DataException e = failure("a,b\n1,2\n3,\"open\n4,5\n");
    assertEquals("hospital-a.csv line 3, column \"b\": the quoted field opened on this line is never closed; check for a missing closing quote", e.getMessage());
  }

  @Test void textAfterClosingQuoteFails() {
    DataException e = failure("a,b\n\"x\"y,2\n");
    assertEquals("hospital-a.csv line 2, column \"a\": unexpected character 'y' after the closing quote of field 1; a quote inside a quoted field must be doubled (\"\")", e.getMessage());
  }

  @Test void bareQuoteInsideUnquotedFieldIsKept() throws Exception {
    assertEquals("5'11\"", read("height\n5'11\"\n").value(0, 0));
  }

  @Test void invalidUtf8Fails() throws IOException {
    Path file = dir.resolve("hospital-a.csv");
    Files.write(file, new byte[] {'a', '\n', (byte) 0xB1, (byte) 0xE8, '\n'}); // EUC-KR, not UTF-8
    DataException e = assertThrows(DataException.class, () -> CsvTable.read(file));
    assertEquals("the file is not valid UTF-8 (near this line); save it as UTF-8, e.g. \"CSV UTF-8\" in a spreadsheet", e.detail());
  }

  @Test void aSemicolonSeparatedFileIsBlamedOnTheSeparatorNotOnQuoting() {
    String expected = "hospital-a.csv line 1: the header has no comma between column names but has semicolons; the"
        + " separator looks like ';', not ',': save it comma-separated (e.g. \"CSV UTF-8 (Comma delimited)\" in a"
        + " spreadsheet), or declare the separator in the agent configuration: \"data\": {\"csv\": \"hospital-a.csv\","
        + " \"separator\": \";\"}";
    assertEquals(expected, failure("id;age;bmi\n1;63;27,5\n").getMessage());
    assertEquals(expected, failure("\"id\";\"age\";\"bmi\"\n\"1\";\"63\";\"27,5\"\n").getMessage(),
        "quoted names: not 'unexpected character after the closing quote'");
    assertEquals(2, failure("\n\"id\";\"age\"\n").line(), "the line of the header, after a blank line");
  }

  @Test void aDeclaredSeparatorIsRead() throws Exception {
    Path file = dir.resolve("hospital-a.csv");
    Files.writeString(file, "id;age;note\n1;63;\"a; b\"\n", StandardCharsets.UTF_8);
    CsvTable t = CsvTable.readAll(new CsvFile(file, ';'));
    assertEquals(List.of("id", "age", "note"), t.header());
    assertEquals("a; b", t.value(0, 2));
    Files.writeString(file, "id,age\n1,63\n", StandardCharsets.UTF_8);
    DataException e = assertThrows(DataException.class, () -> CsvTable.readAll(new CsvFile(file, ';')));
    assertEquals("hospital-a.csv line 1: the header has no semicolon between column names but has commas; the separator"
        + " looks like ',', not ';': declare the separator the file uses in the agent configuration: \"data\": {\"csv\":"
        + " \"hospital-a.csv\", \"separator\": \",\"}", e.getMessage());
    Files.writeString(file, "id;age\n1;63;5\n", StandardCharsets.UTF_8);
    assertEquals("hospital-a.csv line 2: expected 2 fields as in the header, found 3; quote values that contain semicolons",
        assertThrows(DataException.class, () -> CsvTable.readAll(new CsvFile(file, ';'))).getMessage());
  }

  @Test void aFileIsReadOneRecordAtATime() throws Exception {
    Path file = dir.resolve("hospital-a.csv");
    Files.writeString(file, "a,b\n1,2\n\n3,\"x\ny\"\n", StandardCharsets.UTF_8);
    try (Records r = new CsvFile(file).open()) {
      assertEquals(List.of("a", "b"), r.header());
      assertEquals(true, r.next());
      assertEquals("2", r.value(1));
      assertEquals(2, r.line());
      assertEquals(true, r.next());
      assertEquals("x\ny", r.value(1));
      assertEquals(4, r.line());
      assertEquals(false, r.next());
    }
  }

  @Test void aMemoryBudgetRefusesWithRowsBytesTheHeapAndWhatToChange() {
    MemoryBudget budget = MemoryBudget.fixed(1L << 30, 300L << 20);
    assertEquals(128L << 20, budget.reserve());
    assertEquals((1L << 30) - (300L << 20) - (128L << 20), budget.available());
    assertEquals(true, budget.fits(500L << 20));
    DataException e = assertThrows(DataException.class, () -> budget.require("extract.csv",
        "preparing 5,860,000 rows for this study", 1500L << 20, "ask for fewer features"));
    assertEquals("extract.csv: preparing 5,860,000 rows for this study needs about 1.5 GiB of memory, but the agent has"
        + " 596 MiB free (-Xmx1g in effect, 300 MiB in use); start the agent with a larger heap, e.g. -Xmx3g (the"
        + " java command in its systemd unit or launch script), or ask for fewer features", e.getMessage());
    assertEquals(0, e.line());
  }
}
