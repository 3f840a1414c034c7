package org.dure.pseudonymisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dure.cohort.Patient;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PseudonymiserTest {
  @TempDir Path dir;

  private PseudonymisedTable pseudonymiseCohort(Path agentDir, String config) throws Exception {
    CsvTable input = Fixtures.cohortTable(dir.resolve("data"));
    PseudonymisationConfig c = PseudonymisationConfig.parse(config, agentDir);
    return Pseudonymiser.open(c, dir.resolve("data"), agentDir.resolve("cache")).apply(input);
  }

  @Test
  void noIdentifierOfTheGeneratedCohortAppearsInTheOutputOrTheReport() throws Exception {
    PseudonymisedTable result = pseudonymiseCohort(dir.resolve("agent"), Fixtures.COHORT_CONFIG);

    List<String> identifiers = new ArrayList<>();
    for (Patient p : Fixtures.site().patients()) {
      identifiers.addAll(List.of(p.name(), p.rrn(), p.rrn().replace("-", ""), p.phone(), p.phone().replace("-", ""),
          p.mrn(), p.patientId(), p.birthDate().toString(), p.address()));
    }
    String everything = String.join("\n", Fixtures.cells(result.table())) + "\n" + result.report().toJson() + "\n"
        + result.report().toText();
    Set<String> cells = new HashSet<>(Fixtures.cells(result.table()));
    for (String id : identifiers) {
      assertFalse(cells.contains(id), "an output cell is an identifier");
      if (id.length() >= 3) assertFalse(everything.contains(id), "the output or report contains an identifier");
    }
    assertEquals(List.of("patient_id", "age_band", "region", "sex", "bmi", "sbp", "glucose", "ldl", "creatinine",
        "smoking_status", "outcome"), result.table().header());
    assertTrue(result.table().rowCount() > 1500, "most records survive k=5: " + result.table().rowCount());
    assertEquals(List.of("mrn", "name", "rrn", "phone", "age", "region"), result.report().removed());
    assertEquals(List.of("patient_id"), result.report().pseudonymised());
  }

  @Test
  void everyQuasiIdentifierGroupHasAtLeastKRecordsAndTheReportNamesTheSmallest() throws Exception {
    PseudonymisedTable result = pseudonymiseCohort(dir.resolve("agent"), Fixtures.COHORT_CONFIG);
    CsvTable out = result.table();
    PseudonymisationReport report = result.report();

    assertEquals(List.of("age_band", "region", "sex"), report.quasiIdentifiers());
    Map<List<String>, Integer> groups = new HashMap<>();
    for (int r = 0; r < out.rowCount(); r++) {
      groups.merge(List.of(out.value(r, out.columnIndex("age_band")), out.value(r, out.columnIndex("sex")),
          out.value(r, out.columnIndex("region"))), 1, Integer::sum);
    }
    int smallest = groups.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
    assertTrue(smallest >= 5, "smallest group " + smallest);
    assertEquals(smallest, report.achievedK());
    assertEquals(groups.size(), report.groups());
    assertEquals(2000, report.recordsIn());
    assertTrue(report.recordsSuppressed() > 0, "a 2000-patient site has some rare age/sex/region combinations");
    assertEquals(2000 - report.recordsSuppressed(), out.rowCount());
  }

  @Test
  void samePatientIdGivesTheSamePseudonymWithTheSameSecretAndAnotherWithAnotherSecret() throws Exception {
    List<String> first = column(pseudonymiseCohort(dir.resolve("agent"), Fixtures.COHORT_CONFIG).table(), "patient_id");
    // a second agent directory with a copy of nothing: same secret file only if we point at it
    String sameSecret = Fixtures.COHORT_CONFIG.replace("\"secret/pseudonym.key\"",
        "\"" + dir.resolve("agent/secret/pseudonym.key") + "\"").replace("\"k\": 5", "\"k\": 6");
    List<String> again = column(pseudonymiseCohort(dir.resolve("agent2"), sameSecret).table(), "patient_id");
    List<String> other = column(pseudonymiseCohort(dir.resolve("agent3"), Fixtures.COHORT_CONFIG).table(), "patient_id");

    Set<String> firstSet = new HashSet<>(first);
    assertTrue(firstSet.containsAll(again), "k=6 keeps a subset of the k=5 records, with the same pseudonyms");
    assertEquals(first.size(), firstSet.size(), "distinct patients get distinct pseudonyms");
    assertTrue(first.stream().allMatch(p -> p.matches("[0-9a-f]{32}")));
    Set<String> otherSet = new HashSet<>(other);
    otherSet.retainAll(firstSet);
    assertTrue(otherSet.isEmpty(), "another secret gives other pseudonyms");
  }

  @Test
  void pseudonymIsStableForTheSameValueAndSecret() throws Exception {
    CsvTable t = Fixtures.table(List.of("patient_id", "x"), List.of(List.of("P1", "1"), List.of(" P1 ", "2"), List.of("P2", "3")));
    String config = "{\"secretFile\": \"s/key\", \"k\": 2, \"columns\": {\"patient_id\": \"pseudonym\"}}";
    Pseudonymiser p = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null);
    CsvTable out = p.apply(t).table();
    CsvTable again = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null).apply(t).table();

    assertEquals(out.value(0, 0), out.value(1, 0), "surrounding spaces do not change the pseudonym");
    assertNotEquals(out.value(0, 0), out.value(2, 0));
    assertEquals(column(out, "patient_id"), column(again, "patient_id"));
  }

  @Test
  void dateShiftKeepsEachPatientsIntervalsAndHidesTheDates() throws Exception {
    CsvTable t = Fixtures.table(List.of("patient_id", "visit_date", "sex"), List.of(
        List.of("P1", "2024-01-10", "F"), List.of("P1", "2024-03-01", "F"), List.of("P2", "2024-01-10", "F"),
        List.of("P2", "20240201", "F"), List.of("P3", "", "F")));
    String config = """
        {"secretFile": "s/key", "k": 2, "columns": {"patient_id": "pseudonym", "visit_date": {"shiftDays": {"max": 30}}},
         "quasiIdentifiers": ["sex"]}""";
    CsvTable out = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null).apply(t).table();

    java.time.LocalDate a = java.time.LocalDate.parse(out.value(0, 1));
    java.time.LocalDate b = java.time.LocalDate.parse(out.value(1, 1));
    assertEquals(51, java.time.temporal.ChronoUnit.DAYS.between(a, b), "P1's interval is kept");
    assertEquals(22, java.time.temporal.ChronoUnit.DAYS.between(java.time.LocalDate.parse(out.value(2, 1)),
        java.time.LocalDate.parse(out.value(3, 1))), "P2's interval is kept");
    for (int r = 0; r < 4; r++) {
      long shift = Math.abs(java.time.temporal.ChronoUnit.DAYS.between(java.time.LocalDate.parse(t.value(r, 1).length() == 8
          ? "2024-02-01" : t.value(r, 1)), java.time.LocalDate.parse(out.value(r, 1))));
      assertTrue(shift >= 1 && shift <= 30, "shift " + shift);
    }
    assertEquals("", out.value(4, 1), "a missing date stays missing");
  }

  @Test
  void generalisationsGiveAgesBandsMonthsAndShortProvinceNames() throws Exception {
    CsvTable t = Fixtures.table(List.of("birth_date", "visit", "address", "weight"), List.of(
        List.of("1980-06-15", "2024-03-05", "서울특별시 강남구 테헤란로 152, 101동 1203호", "71"),
        List.of("1930-01-01", "2024-03-31", "경기도 성남시 분당구 판교역로 1", "NA"),
        List.of("1980-06-16", "2024.3.7", "강원도 춘천시 중앙로 1", "70.5"),
        List.of("", "2024-04-01", "Springfield 742 Evergreen Terrace", "55")));
    String config = """
        {"secretFile": "s/key", "k": 2, "columns": {
          "birth_date": {"age": {"at": "2025-06-15", "top": 90}}, "visit": "month", "address": "region",
          "weight": {"band": {"width": 10}}},
         "quasiIdentifiers": ["visit"]}""";
    PseudonymisedTable result = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null)
        .apply(t);
    CsvTable out = result.table();

    assertEquals(List.of("age", "visit", "region", "weight"), out.header());
    assertEquals(List.of("45", "90+", "44"), column(out, "age").subList(0, 3));
    assertEquals(List.of("2024-03", "2024-03", "2024-03"), column(out, "visit"), "the April visit is alone and suppressed");
    assertEquals(List.of("서울", "경기", "강원"), column(out, "region"));
    assertEquals(List.of("70-79", "NA", "70-79"), column(out, "weight"));
    assertEquals(1, result.report().recordsSuppressed());
    assertEquals(3, result.report().achievedK());
    assertEquals("addresses not recognised as a 시/도: 1 (written as 기타)", result.report().generalised().get(2).note());
    assertEquals("", result.report().generalised().get(0).note());
  }

  @Test
  void anUnreadableValueNamesTheLineAndColumnButNotTheValue() throws Exception {
    CsvTable t = Fixtures.table(List.of("birth_date", "sex"), List.of(List.of("1980-01-01", "F"), List.of("15/06/1980", "F")));
    String config = "{\"secretFile\": \"s/key\", \"columns\": {\"birth_date\": {\"age\": {\"at\": \"2026-01-01\"}}}}";
    Pseudonymiser p = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null);

    DataException e = assertThrows(DataException.class, () -> p.apply(t));

    assertEquals("extract.csv line 3, column \"birth_date\": the value is not a date (expected e.g. 2024-03-05, 20240305"
        + " or 2024.03.05); fix the extract, or change pseudonymisation.columns.birth_date", e.getMessage());
  }

  @Test
  void theReportRendersAsJsonAndAsText() throws Exception {
    PseudonymisationReport report = pseudonymiseCohort(dir.resolve("agent"), Fixtures.COHORT_CONFIG).report();

    assertEquals(report, PseudonymisationReport.fromJson(report.toJson()));
    String text = report.toText();
    assertTrue(text.startsWith("pseudonymised hospital-a.csv: 2000 records in, " + report.recordsSuppressed() + " suppressed, "
        + report.recordsOut() + " out ("), text);
    assertTrue(text.contains("\n  removed        mrn, name, rrn, phone, age, region\n"), text);
    assertTrue(text.contains("\n  generalised    birth_date → age_band by ageBand(width=10, at=2025-01-01, top=80)\n"
        + "                 address → region by region (시/도; unrecognised → 기타)\n"), text);
    assertTrue(text.contains("\n  k-anonymity    k=5 required, " + report.achievedK() + " achieved; " + report.groups()
        + " groups of age_band, region, sex\n"), text);
  }

  @Test
  void aFileIsPseudonymisedOneRecordAtATimeWithTheResultOfTheTableInMemory() throws Exception {
    CsvTable input = Fixtures.cohortTable(dir.resolve("data"));
    Path file = dir.resolve("data").resolve(input.fileName());
    PseudonymisationConfig c = PseudonymisationConfig.parse(Fixtures.COHORT_CONFIG, dir.resolve("agent"));

    PseudonymisedData streamed = Pseudonymiser.open(c, dir.resolve("data"), dir.resolve("agent/cache"))
        .pseudonymise(new org.dure.tabular.CsvFile(file));
    PseudonymisedTable inMemory = Pseudonymiser.open(c, dir.resolve("data"), null).apply(input);

    CsvTable read = CsvTable.readAll(streamed.table());
    assertEquals(inMemory.table().rowCount(), streamed.table().rowCount());
    assertEquals(inMemory.table().header(), streamed.table().header());
    assertEquals(Fixtures.cells(inMemory.table()), Fixtures.cells(read));
    for (int r = 0; r < read.rowCount(); r++) assertEquals(inMemory.table().line(r), read.line(r), "line of record " + r);
    assertEquals(inMemory.report().inputHash(), streamed.report().inputHash(), "the content hash of the records");
    assertEquals(inMemory.report().recordsSuppressed(), streamed.report().recordsSuppressed());
  }

  @Test
  void quasiIdentifierGroupsThatWouldNotFitInMemoryAreRefusedWithWhatToChange() throws Exception {
    CsvTable t = Fixtures.table(List.of("patient_id", "sex"), List.of(List.of("P1", "F"), List.of("P2", "F")));
    String config = "{\"secretFile\": \"s/key\", \"k\": 2, \"columns\": {\"patient_id\": \"pseudonym\"},"
        + " \"quasiIdentifiers\": [\"patient_id\", \"sex\"]}";
    Pseudonymiser p = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null)
        .withBudget(org.dure.tabular.MemoryBudget.fixed(64L << 20, 60L << 20));

    DataException e = assertThrows(DataException.class, () -> p.apply(t));

    assertTrue(e.getMessage().startsWith("extract.csv: counting the records of each combination of the quasi-identifiers"
        + " [patient_id, sex] (0 distinct combinations so far, of 2 records) needs about 10 MiB of memory, but the agent"
        + " has"), e.getMessage());
    assertTrue(e.getMessage().contains("(-Xmx64m in effect, 60 MiB in use); start the agent with a larger heap, e.g."
        + " -Xmx1g"), e.getMessage());
    assertTrue(e.getMessage().endsWith("or choose coarser quasi-identifiers in pseudonymisation.columns (e.g. age bands"
        + " rather than ages): groups this many leave most records below k"), e.getMessage());
  }

  static List<String> column(CsvTable t, String name) {
    int c = t.columnIndex(name);
    List<String> out = new ArrayList<>();
    for (int r = 0; r < t.rowCount(); r++) out.add(t.value(r, c));
    return out;
  }
}
