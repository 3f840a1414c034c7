package org.dure.pseudonymisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dure.cohort.Patient;
import org.dure.tabular.CsvTable;
import org.dure.pseudonymisation.IdentifierFoundException.Finding;
import org.dure.pseudonymisation.IdentifierFoundException.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentifierDetectionTest {
  private static final String CONFIG = "{\"secretFile\": \"secret/key\", \"k\": 2, \"columns\": {\"patient_id\": \"pseudonym\"}}";
  private static final String NOTE_IS_FREE_TEXT = "{\"secretFile\": \"secret/key\", \"k\": 2, \"columns\": {\"patient_id\":"
      + " \"pseudonym\"}, \"freeTextColumns\": [\"note\"]}";

  @TempDir Path dir;

  private IdentifierFoundException refused(CsvTable table, String config) throws Exception {
    Pseudonymiser p = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), dir.resolve("cache"));
    return assertThrows(IdentifierFoundException.class, () -> p.apply(table));
  }

  /** Patients' ids with one extra column "note" holding {@code notes}. */
  private static CsvTable withNote(List<String> notes) {
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < notes.size(); i++) rows.add(List.of("P" + (i % 3), notes.get(i), "F"));
    return Fixtures.table(List.of("patient_id", "note", "sex"), rows);
  }

  @Test
  void residentRegistrationNumbersUnderAHarmlessNameStopItNamingTheColumnButNoValue() throws Exception {
    List<String> notes = new ArrayList<>();
    for (Patient p : Fixtures.site().patients().subList(0, 40)) notes.add(p.rrn());
    for (int i = 0; i < 60; i++) notes.add("stable");

    IdentifierFoundException e = refused(withNote(notes), CONFIG);

    assertEquals(List.of(new Finding("note", Kind.RESIDENT_REGISTRATION_NUMBER, 40, 100)), e.findings());
    assertEquals("extract.csv: refusing to pseudonymise: column \"note\" holds what look like Korean resident registration"
        + " numbers (YYMMDD-SNNNNNN): 40 of 100 non-empty values. Declare this column in pseudonymisation.columns, e.g."
        + " \"note\": \"delete\" (or \"pseudonym\" if it is needed for linkage; \"keep\" only if you have checked that it"
        + " holds no identifiers)", e.getMessage());
    for (String rrn : notes.subList(0, 40)) assertFalse(e.getMessage().contains(rrn.substring(0, 6)));
    assertFalse(Files.exists(dir.resolve("cache")) && Files.list(dir.resolve("cache")).findAny().isPresent(),
        "nothing is cached");
  }

  @Test
  void oneResidentRegistrationNumberInFreeTextIsEnough() throws Exception {
    List<String> notes = new ArrayList<>(List.of("follow up in 2 weeks", "", "NA"));
    notes.add("주민번호 8506152123456 확인함");

    // the column is free text, declared as such: that allows free text, not the identifiers in it
    IdentifierFoundException e = refused(withNote(notes), NOTE_IS_FREE_TEXT);

    assertEquals(List.of(new Finding("note", Kind.RESIDENT_REGISTRATION_NUMBER, 1, 2)), e.findings());
  }

  @Test
  void post2020ResidentRegistrationNumbersWithoutAValidCheckDigitAreCaughtToo() throws Exception {
    List<String> rrns = List.of("200315-3849201", "210704-4000001", "2212314987650", "230101 - 3123456");
    for (String rrn : rrns) assertFalse(legacyCheckDigitValid(rrn), rrn + " must not have a valid check digit");

    IdentifierFoundException e = refused(withNote(rrns), CONFIG);

    assertEquals(List.of(new Finding("note", Kind.RESIDENT_REGISTRATION_NUMBER, 4, 4)), e.findings());
  }

  @Test
  void phoneNumbersInEveryCommonSpellingStopItNamingTheColumn() throws Exception {
    List<String> phones = List.of("010-1234-5678", "01012345678", "+82 10-1234-5678", "+821012345678", "02-123-4567",
        "(031) 123-4567", "010.2345.6789", "070-1234-5678");
    for (String phone : phones) assertEquals(Kind.PHONE_NUMBER, IdentifierScanner.kindOf(phone), phone);

    IdentifierFoundException e = refused(withNote(phones), CONFIG);

    assertEquals(List.of(new Finding("note", Kind.PHONE_NUMBER, 8, 8)), e.findings());
    assertTrue(e.getMessage().contains("\"note\": \"delete\""), e.getMessage());
  }

  @Test
  void emailAddressesStopItAndEveryOffendingColumnIsNamed() throws Exception {
    CsvTable t = Fixtures.table(List.of("patient_id", "contact", "memo"), List.of(
        List.of("P1", "kim.minsu@example.co.kr", "ok"), List.of("P2", "none", "call 010-9876-5432"),
        List.of("P3", "", "ok")));

    IdentifierFoundException e = refused(t, CONFIG);

    assertEquals(List.of(new Finding("contact", Kind.EMAIL_ADDRESS, 1, 2), new Finding("memo", Kind.PHONE_NUMBER, 1, 3)),
        e.findings());
    assertFalse(e.getMessage().contains("kim.minsu"));
    assertFalse(e.getMessage().contains("9876"));
  }

  @Test
  void anUndeclaredColumnNamedLikeADirectIdentifierIsRefusedByItsName() throws Exception {
    CsvTable cohort = Fixtures.cohortTable(dir.resolve("data"));
    String config = Fixtures.COHORT_CONFIG.replace("\"name\": \"delete\", ", "");

    IdentifierFoundException e = refused(cohort, config);

    assertEquals(List.of(new Finding("name", Kind.IDENTIFIER_COLUMN_NAME, 2000, 2000)), e.findings());
    assertTrue(e.getMessage().contains("column \"name\" is a direct identifier, judging by its name."), e.getMessage());
    assertTrue(IdentifierScanner.identifierName("환자 이름"));
    assertTrue(IdentifierScanner.identifierName("Phone_Number"));
    assertTrue(IdentifierScanner.identifierName("주민등록번호"));
    assertFalse(IdentifierScanner.identifierName("region"));
  }

  @Test
  void clinicalNumbersDatesAndRecordIdsAreNotMistakenForIdentifiers() {
    for (String v : List.of("23.5", "0.85", "128", "2024-03-05", "20240305", "HA-20481733", "A-000017",
        "1700000000000", "1.0212345678", "2024-03-05 10:23:00", "서울특별시 강남구 테헤란로 152, 101동 1203호", "@home")) {
      assertNull(IdentifierScanner.kindOf(v), v);
    }
  }

  @Test
  void aColumnDeclaredKeepIsNotScanned() throws Exception {
    CsvTable t = withNote(List.of("010-1234-5678", "x", "y", "z"));
    String config = "{\"secretFile\": \"secret/key\", \"k\": 2, \"columns\": {\"patient_id\": \"pseudonym\", \"note\": \"keep\"}}";

    PseudonymisedTable result = Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null).apply(t);

    assertEquals(List.of("note"), result.report().reviewed());
    assertEquals(List.of("sex"), result.report().kept());
  }

  private static boolean legacyCheckDigitValid(String rrn) {
    String d = rrn.replaceAll("[^0-9]", "");
    int[] w = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
    int sum = 0;
    for (int i = 0; i < 12; i++) sum += w[i] * (d.charAt(i) - '0');
    return (11 - sum % 11) % 10 == d.charAt(12) - '0';
  }
}
