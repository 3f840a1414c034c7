package org.dure.pseudonymisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.dure.cohort.Patient;
import org.dure.tabular.CsvTable;
import org.dure.pseudonymisation.IdentifierFoundException.Finding;
import org.dure.pseudonymisation.IdentifierFoundException.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ways an extract can hold direct identifiers that a naive scan misses (security review, issue 13 finding 7):
 * other separators, full-width characters, numbers split over columns, international prefixes, identifier column
 * names in Korean or with prefixes and suffixes, free text; and the ordinary clinical columns that must still pass.
 */
class IdentifierEvasionTest {
  private static final String CONFIG = "{\"secretFile\": \"secret/key\", \"k\": 2, \"columns\": {\"patient_id\": \"pseudonym\"}}";

  @TempDir Path dir;

  private Pseudonymiser pseudonymiser(String config) throws Exception {
    return Pseudonymiser.open(PseudonymisationConfig.parse(config, dir), dir.resolve("data"), null);
  }

  private IdentifierFoundException refused(CsvTable table, String config) throws Exception {
    Pseudonymiser p = pseudonymiser(config);
    return assertThrows(IdentifierFoundException.class, () -> p.apply(table));
  }

  /** Patient ids with one extra column "note" holding {@code notes}. */
  private static CsvTable withNote(List<String> notes) {
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < notes.size(); i++) rows.add(List.of("P" + (i % 3), notes.get(i), "F"));
    return Fixtures.table(List.of("patient_id", "note", "sex"), rows);
  }

  private static String fullWidth(String ascii) {
    StringBuilder b = new StringBuilder();
    for (char ch : ascii.toCharArray()) b.append(ch > ' ' && ch < 0x7f ? (char) (ch - 0x21 + 0xFF01) : ch);
    return b.toString();
  }

  private static void assertNoValueIn(IdentifierFoundException e, List<String> values) {
    for (String v : values) {
      String digits = IdentifierScanner.normalise(v).replaceAll("[^0-9]", "");
      assertFalse(digits.length() >= 6 && e.getMessage().contains(digits.substring(0, 6)), "the message shows " + v);
      assertFalse(e.getMessage().contains(v), "the message shows " + v);
    }
  }

  @Test
  void anRrnWrittenWithDotsSlashesOrFullWidthDigitsIsFound() throws Exception {
    List<String> rrns = List.of("850615.1234567", "850615/1234567", "850615 / 1234567", fullWidth("850615-1234567"),
        fullWidth("8506151234567"), "850615\u20131234567" /* en dash */, "850615 \u2014 1234567" /* em dash */,
        "850615\u22121234567" /* minus sign */, "850615\u30001234567" /* ideographic space */,
        "850615\u200B1234567" /* zero-width space */, "850615\u00B71234567" /* middle dot */,
        "주민 ８５０６１５－２１２３４５６ 확인");
    for (String rrn : rrns) assertEquals(Kind.RESIDENT_REGISTRATION_NUMBER, IdentifierScanner.kindOf(rrn), rrn);

    IdentifierFoundException e = refused(withNote(rrns), CONFIG);

    assertEquals(List.of(new Finding("note", Kind.RESIDENT_REGISTRATION_NUMBER, rrns.size(), rrns.size())), e.findings());
    assertNoValueIn(e, rrns);
  }

  @Test
  void anRrnSplitOverTwoColumnsIsFound() throws Exception {
    List<List<String>> rows = new ArrayList<>();
    List<Patient> patients = Fixtures.site().patients().subList(0, 50);
    for (Patient p : patients) {
      String[] halves = p.rrn().split("-");
      rows.add(List.of(p.patientId(), halves[0], halves[1], "F"));
    }
    rows.set(3, List.of("X", "NA", "", "M"));   // a missing half is no match, and not counted against
    CsvTable t = Fixtures.table(List.of("patient_id", "b_ymd", "code", "sex"), rows);

    IdentifierFoundException e = refused(t, CONFIG);

    assertEquals(List.of(new Finding("b_ymd", Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER, 49, 49),
        new Finding("code", Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER, 49, 49)), e.findings());
    assertTrue(e.getMessage().contains("column \"code\" holds what look like halves of Korean resident registration numbers"
        + " split over two adjacent columns (YYMMDD | SNNNNNN): 49 of 49 non-empty values"), e.getMessage());
    assertNoValueIn(e, patients.stream().map(Patient::rrn).toList());

    // deleting the birth-date half leaves the other half, which is refused alone
    String deleteFront = CONFIG.replace("}}", ", \"b_ymd\": \"delete\"}}");
    assertEquals(List.of(new Finding("code", Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER, 49, 49)), refused(t, deleteFront).findings());

    // full-width halves, and halves under the names a hospital system gives them
    List<List<String>> named = new ArrayList<>();
    for (List<String> r : rows) named.add(List.of(r.get(0), fullWidth(r.get(1)), fullWidth(r.get(2)), r.get(3)));
    assertEquals(List.of(Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER, Kind.SPLIT_RESIDENT_REGISTRATION_NUMBER),
        refused(Fixtures.table(List.of("patient_id", "b_ymd", "code", "sex"), named), CONFIG).findings().stream()
            .map(Finding::kind).toList());
    for (List<String> names : List.of(List.of("jumin1", "jumin2"), List.of("rrn_front", "rrn_back"),
        List.of("주민번호 앞자리", "주민번호 뒷자리"))) {
      List<String> header = List.of("patient_id", names.get(0), names.get(1), "sex");
      assertEquals(List.of(new Finding(names.get(0), Kind.IDENTIFIER_COLUMN_NAME, 49, 49),
          new Finding(names.get(1), Kind.IDENTIFIER_COLUMN_NAME, 49, 49)), refused(Fixtures.table(header, rows), CONFIG).findings());
    }
  }

  @Test
  void aPhoneWithAnEnDashOr0082PrefixIsFound() throws Exception {
    List<String> phones = List.of("010\u20131234\u20135678" /* en dash */, "010\u20141234\u20145678" /* em dash */,
        "010\u22121234\u22125678" /* minus */, "010\u30001234\u30005678", "010 / 1234 / 5678", fullWidth("010-1234-5678"),
        "0082-10-1234-5678", "0082 10 1234 5678", "00821012345678", "82-10-1234-5678", "+82 (0)10-1234-5678",
        "+82-2-123-4567", fullWidth("+82-10-1234-5678"), "0505-123-4567", "연락 ０１０．１２３４．５６７８ 보호자");
    for (String phone : phones) assertEquals(Kind.PHONE_NUMBER, IdentifierScanner.kindOf(phone), phone);

    IdentifierFoundException e = refused(withNote(phones), CONFIG);

    assertEquals(List.of(new Finding("note", Kind.PHONE_NUMBER, phones.size(), phones.size())), e.findings());
    assertNoValueIn(e, phones);
  }

  @Test
  void aForeignPhoneNumberIsFound() throws Exception {
    List<String> phones = List.of("+1 (415) 555-0132", "+1-415-555-0132", "+44 20 7946 0958", "0044 20 7946 0958",
        "+86 138 0013 8000", "+81-3-1234-5678", "+8613800138000", "00 1 415 555 0132", "+63 917 123 4567");
    for (String phone : phones) assertEquals(Kind.PHONE_NUMBER, IdentifierScanner.kindOf(phone), phone);

    assertEquals(List.of(new Finding("note", Kind.PHONE_NUMBER, phones.size(), phones.size())),
        refused(withNote(phones), CONFIG).findings());
  }

  @Test
  void aFullWidthAtSignEmailIsFound() throws Exception {
    List<String> emails = List.of("kim.minsu\uFF20example.co.kr", fullWidth("kim@example.com"), "kim\uFE6Bexample.com",
        "kim @ example.com", "kim [at] example [dot] com", "kim(at)hospital.or.kr", "lee {AT} snu.ac.kr");
    for (String email : emails) assertEquals(Kind.EMAIL_ADDRESS, IdentifierScanner.kindOf(email), email);

    // "kim [at] example [dot] com" reads like a sentence; declared free text, the column is still scanned
    IdentifierFoundException e = refused(withNote(emails), CONFIG.replace("}}", "}, \"freeTextColumns\": [\"note\"]}"));

    assertEquals(List.of(new Finding("note", Kind.EMAIL_ADDRESS, emails.size(), emails.size())), e.findings());
    assertFalse(e.getMessage().contains("kim"), e.getMessage());
  }

  @Test
  void koreanAndCommonIdentifierColumnNamesAreFound() throws Exception {
    for (String name : List.of("성명", "이름", "환자명", "환자성명", "환자 이름", "주민번호", "주민등록번호", "전화", "전화번호", "연락처",
        "보호자연락처", "휴대폰", "휴대폰번호", "주소", "환자주소", "생년월일", "이메일", "name", "Name", "NAME", "pt_name", "PT-NAME",
        "patient_name", "PatientName", "full_name", "first_name", "last_name", "surname", "address", "address1",
        "Address 2", "addr", "addr1", "street", "zip", "zip_code", "postcode", "dob", "DOB", "birth_date", "date_of_birth",
        "birthday", "phone", "phone_no", "mobile", "tel", "tel_no", "email", "e-mail", "ssn", "rrn", "rrn_no", "jumin_no",
        "mrn", "passport_no", "ｎａｍｅ", "이름１")) {
      assertTrue(IdentifierScanner.identifierName(name), name);
    }
    for (String name : List.of("patient_id", "person_id", "region", "sex", "age", "age_band", "bmi", "sbp", "glucose",
        "drug_name", "hospital_name", "concept_name", "admission_date", "visit_date", "icd10", "condition_concept_id",
        "smoking_status", "outcome", "ward", "note", "diagnosis", "department", "telemetry", "namespace", "mobility")) {
      assertFalse(IdentifierScanner.identifierName(name), name);
    }

    CsvTable t = Fixtures.table(List.of("patient_id", "환자성명", "address1", "dob", "sex"), List.of(
        List.of("P1", "김민수", "서울특별시 종로구 종로 1", "1985-06-15", "M"), List.of("P2", "이서연", "", "1990-01-02", "F")));
    assertEquals(List.of(new Finding("환자성명", Kind.IDENTIFIER_COLUMN_NAME, 2, 2),
        new Finding("address1", Kind.IDENTIFIER_COLUMN_NAME, 1, 1), new Finding("dob", Kind.IDENTIFIER_COLUMN_NAME, 2, 2)),
        refused(t, CONFIG).findings());
  }

  @Test
  void theDeclaredPatientKeyIsNotFlaggedByItsNameButAnUndeclaredMrnIs() throws Exception {
    CsvTable t = Fixtures.table(List.of("mrn", "sex"), List.of(List.of("H-0001", "F"), List.of("H-0002", "F")));
    String keyed = "{\"secretFile\": \"secret/key\", \"k\": 2, \"columns\": {\"mrn\": \"pseudonym\"}}";

    PseudonymisedTable result = pseudonymiser(keyed).apply(t);

    assertEquals(List.of("mrn"), result.report().pseudonymised());
    assertEquals(List.of(new Finding("mrn", Kind.IDENTIFIER_COLUMN_NAME, 2, 2)),
        refused(t, "{\"secretFile\": \"secret/key\", \"k\": 2, \"columns\": {}}").findings());
  }

  /** Nursing notes that name people and places, with no number or address a pattern would find. */
  private static List<String> notes(int n) {
    String[] people = {"김민수", "이서연", "박지훈", "최유진", "정하늘"};
    String[] what = {"흉통으로 응급실 내원, 보호자 동반", "complains of chest pain since this morning, wife at bedside",
        "퇴원 교육 시행함, 딸이 다음 주 방문 예정", "seen by Dr. Han, plan to repeat troponin in 6 hours",
        "거주지 근처 보건소로 전원 요청함"};
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(people[i % 5] + " 님 " + what[(i / 5) % 5] + " (" + (i + 1) + "일차)");
    return out;
  }

  @Test
  void undeclaredFreeTextColumnsAreRefused() throws Exception {
    List<String> notes = new ArrayList<>(notes(25));
    for (int i = 0; i < 75; i++) notes.add(i % 2 == 0 ? "stable" : "NA");
    CsvTable t = withNote(notes);
    for (String note : notes) assertNull(IdentifierScanner.kindOf(note), note);

    IdentifierFoundException e = refused(t, CONFIG);

    assertEquals(List.of(new Finding("note", Kind.FREE_TEXT, 25, 63)), e.findings());
    assertTrue(e.getMessage().contains("column \"note\" holds what look like free text"), e.getMessage());
    assertTrue(e.getMessage().contains("pseudonymisation.freeTextColumns"), e.getMessage());
    assertFalse(e.getMessage().contains("김민수") || e.getMessage().contains("chest"), e.getMessage());

    // declared, it is kept; but a phone number in it still stops the run
    String declared = CONFIG.replace("}}", "}, \"freeTextColumns\": [\"note\"]}");
    PseudonymisedTable result = pseudonymiser(declared).apply(t);
    assertEquals(List.of("note", "sex"), result.report().kept());
    notes.set(7, notes.get(7) + ", 아들 연락처 010\u20139876\u20135432");
    assertEquals(List.of(new Finding("note", Kind.PHONE_NUMBER, 1, 63)), refused(withNote(notes), declared).findings());

    // without a pseudonymisation section every column is scanned, free text included
    IdentifierFoundException bare = assertThrows(IdentifierFoundException.class, () -> Pseudonymiser.requireNoIdentifiers(t));
    assertEquals(List.of(Kind.FREE_TEXT), bare.findings().stream().map(Finding::kind).toList());
  }

  @Test
  void freeTextColumnsMustBeAListOfUndeclaredColumnsOfTheData() throws Exception {
    String base = "{\"secretFile\": \"secret/key\", \"columns\": {\"patient_id\": \"pseudonym\", \"memo\": \"keep\"}, ";
    assertEquals("pseudonymisation.freeTextColumns must be a list of the names of columns that hold reviewed free text,"
        + " e.g. [\"note\"]", assertThrows(IllegalArgumentException.class,
            () -> PseudonymisationConfig.parse(base + "\"freeTextColumns\": \"note\"}", dir)).getMessage());
    assertEquals("pseudonymisation.freeTextColumns names \"note\" twice", assertThrows(IllegalArgumentException.class,
        () -> PseudonymisationConfig.parse(base + "\"freeTextColumns\": [\"note\", \"note\"]}", dir)).getMessage());
    assertEquals("pseudonymisation.freeTextColumns: \"memo\" is also declared in pseudonymisation.columns as \"keep"
        + " (reviewed, not scanned)\", which decides what happens to it; list it in one place only",
        assertThrows(IllegalArgumentException.class,
            () -> PseudonymisationConfig.parse(base + "\"freeTextColumns\": [\"memo\"]}", dir)).getMessage());
    assertEquals("pseudonymisation.freeTextColumn: unknown setting; expected one of [secretFile, k, columns,"
        + " quasiIdentifiers, freeTextColumns]",
        assertThrows(IllegalArgumentException.class, () -> PseudonymisationConfig.parse(
            base.replace(", \"memo\": \"keep\"", "") + "\"freeTextColumn\": [\"note\"]}", dir)).getMessage());

    PseudonymisationConfig ok = PseudonymisationConfig.parse(base + "\"freeTextColumns\": [\"note\"]}", dir);
    assertEquals(List.of("note"), ok.freeTextColumns());
    String without = base.substring(0, base.length() - 2) + "}";
    assertFalse(ok.hash().equals(PseudonymisationConfig.parse(without, dir).hash()), "the declaration is part of the config hash");
    Pseudonymiser p = Pseudonymiser.open(ok, dir.resolve("data"), null);
    CsvTable t = Fixtures.table(List.of("patient_id", "memo", "sex"), List.of(List.of("P1", "x", "F")));
    assertEquals("pseudonymisation.freeTextColumns: extract.csv has no column \"note\"; its columns are [patient_id, memo,"
        + " sex]. Fix the name or remove it", assertThrows(IllegalArgumentException.class, () -> p.apply(t)).getMessage());
  }

  @Test
  void ordinaryClinicalColumnsAreNotFlagged() throws Exception {
    for (String v : List.of("I21.9", "E11.65", "K21.0", "Z95.5", "4329847", "3004249", "1503297", "40163554",
        "2000000123", "2024-03-05", "20240305", "2024.03.05", "2024/03/05", "24.03.05", "2024-03-05T10:23:00+09:00",
        "2024-03-05 10:23:00", "120/80", "BP 120/80 mmHg, HR 72", "250000", "6.5", "0.85", "98.6", "3.5-5.0",
        "95% CI 1.02\u20131.10", "-0.0012345678", "0012345678", "00012345", "8221234567", "822123456789",
        "1234567890123", "LOINC 2345-7", "A-000017", "@home", "lot 2401-0315-0001", "+3", "5 mg/kg/day")) {
      assertNull(IdentifierScanner.kindOf(v), v);
    }

    Random rng = new Random(7);
    String[] conditions = {"Acute myocardial infarction", "Type 2 diabetes mellitus without complication",
        "Essential hypertension", "Chronic kidney disease stage 3", "Atrial fibrillation"};
    String[] icd = {"I21.9", "E11.9", "I10", "N18.3", "I48.91"};
    String[] drugs = {"aspirin 100 mg oral tablet", "atorvastatin 20 mg oral tablet", "metformin 500 mg oral tablet"};
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      int c = rng.nextInt(conditions.length);
      rows.add(List.of("P" + i, i % 2 == 0 ? "F" : "M", String.valueOf(18 + rng.nextInt(80)),
          String.format("2024-%02d-%02d", 1 + rng.nextInt(12), 1 + rng.nextInt(28)),
          String.format("2024%02d%02d", 1 + rng.nextInt(12), 1 + rng.nextInt(28)),
          String.format(Locale.ROOT, "%.1f", 18 + rng.nextDouble() * 15), String.format(Locale.ROOT, "%.2f", 0.5 + rng.nextDouble()),
          String.valueOf(70 + rng.nextInt(200)), String.valueOf(100000 + rng.nextInt(900000)),
          String.valueOf(3000000 + rng.nextInt(2000000)), icd[c], conditions[c], drugs[rng.nextInt(drugs.length)],
          String.valueOf(1_000_000_000L + rng.nextInt(1_000_000_000)), "ward " + (1 + rng.nextInt(12))));
    }
    CsvTable t = Fixtures.table(List.of("patient_id", "sex", "age", "admission_date", "discharge_ymd", "bmi",
        "creatinine", "glucose", "specimen_no", "measurement_concept_id", "icd10", "condition_name", "drug_name",
        "visit_occurrence_id", "ward"), rows);

    PseudonymisedTable result = pseudonymiser(CONFIG).apply(t);
    Pseudonymiser.requireNoIdentifiers(t);

    assertEquals(t.header().subList(1, t.header().size()), result.report().kept());
  }
}
