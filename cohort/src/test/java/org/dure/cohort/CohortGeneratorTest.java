package org.dure.cohort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Period;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CohortGeneratorTest {
  @TempDir Path dir;

  @Test void sameSeedWritesIdenticalFiles() throws IOException {
    CohortGenerator gen = CohortGenerator.builder().sites(2).patientsPerSite(300).seed(7).build();
    gen.writeTo(dir.resolve("one"));
    gen.writeTo(dir.resolve("two"));
    for (String f : List.of("hospital-a.csv", "hospital-b.csv", "truth.json")) {
      assertArrayEquals(Files.readAllBytes(dir.resolve("one").resolve(f)), Files.readAllBytes(dir.resolve("two").resolve(f)), f);
    }
  }

  @Test void differentSeedsGiveDifferentPatients() {
    List<SiteCohort> a = CohortGenerator.builder().sites(1).patientsPerSite(50).seed(1).build().generate();
    List<SiteCohort> b = CohortGenerator.builder().sites(1).patientsPerSite(50).seed(2).build().generate();
    assertNotEquals(a.get(0).patients(), b.get(0).patients());
  }

  @Test void addingOrResizingOtherSitesLeavesASiteUnchanged() {
    List<SiteCohort> small = CohortGenerator.builder().sitePatients(100, 10).seed(3).build().generate();
    List<SiteCohort> large = CohortGenerator.builder().sitePatients(100, 900, 50).seed(3).build().generate();
    assertEquals(small.get(0), large.get(0));
  }

  @Test void sitesCanHaveDifferentSizesAndAreNamedByLetter() {
    List<SiteCohort> sites = CohortGenerator.builder().sitePatients(30, 20, 10).build().generate();
    assertEquals(List.of("hospital-a", "hospital-b", "hospital-c"), sites.stream().map(SiteCohort::site).toList());
    assertEquals(List.of(30, 20, 10), sites.stream().map(s -> s.patients().size()).toList());
  }

  @Test void sitesBeyondTheSixFixedHospitalsAreGenerated() {
    List<SiteCohort> sites = CohortGenerator.builder().sites(28).patientsPerSite(5).build().generate();
    assertEquals("hospital-g", sites.get(6).site());
    assertEquals("hospital-ab", sites.get(27).site());
    assertTrue(sites.get(27).patients().get(0).patientId().startsWith("AB-"));
  }

  @Test void everyFileHasTheHeaderAndOneCompleteRowPerPatient() throws IOException {
    List<SiteCohort> sites = CohortGenerator.builder().sites(2).patientsPerSite(200).missingRate(0.1).build().writeTo(dir);
    for (SiteCohort site : sites) {
      List<List<String>> rows = readCsv(dir.resolve(site.fileName()));
      assertEquals(CohortGenerator.columns(), rows.get(0));
      assertEquals(site.patients().size(), rows.size() - 1);
      for (List<String> row : rows) assertEquals(CohortGenerator.columns().size(), row.size(), row.toString());
    }
  }

  @Test void addressesWithCommasAreQuoted() throws IOException {
    CohortGenerator.builder().sites(1).patientsPerSite(100).build().writeTo(dir);
    String csv = Files.readString(dir.resolve("hospital-a.csv"), StandardCharsets.UTF_8);
    assertTrue(csv.contains(",\"서울특별시 "), "an apartment address is quoted");
    assertTrue(csv.contains("\r\n"), "RFC 4180 line ends");
  }

  @Test void identifiersLookKorean() {
    for (Patient p : CohortGenerator.builder().sites(3).patientsPerSite(300).build().generate().stream()
        .flatMap(s -> s.patients().stream()).toList()) {
      assertTrue(p.name().matches("[가-힣]{2,4}"), p.name());
      assertTrue(p.phone().matches("010-[2-9]\\d{3}-\\d{4}"), p.phone());
      assertTrue(p.address().startsWith(p.region() + " "), p.address());
      assertTrue(ResidentRegistrationNumber.hasValidCheckDigit(p.rrn()), p.rrn());
      String yymmdd = p.birthDate().toString().substring(2).replace("-", "");
      assertEquals(yymmdd, p.rrn().substring(0, 6));
      char sexDigit = p.rrn().charAt(7);
      assertEquals(p.sex().equals("M"), sexDigit == '1' || sexDigit == '3', p.rrn() + " " + p.sex());
      assertEquals(p.age(), Period.between(p.birthDate(), CohortGenerator.REFERENCE_DATE).getYears());
      assertTrue(p.age() >= 20 && p.age() <= 95, "age " + p.age());
      assertTrue(p.mrn().matches("H[A-Z]+-\\d{8}"), p.mrn());
      assertTrue(KoreanRegions.PROVINCES.stream().anyMatch(r -> r.name().equals(p.region())), p.region());
    }
  }

  @Test void medicalRecordNumbersCarryTheHospitalPrefixAndAreUnique() {
    List<SiteCohort> sites = CohortGenerator.builder().sites(2).patientsPerSite(500).build().generate();
    assertTrue(sites.get(0).patients().stream().allMatch(p -> p.mrn().startsWith("HA-")));
    assertTrue(sites.get(1).patients().stream().allMatch(p -> p.mrn().startsWith("HB-")));
    assertEquals(500, sites.get(0).patients().stream().map(Patient::mrn).distinct().count());
  }

  @Test void clinicalValuesStayInPlausibleRanges() {
    for (Patient p : CohortGenerator.builder().sites(4).patientsPerSite(500).missingRate(0).build().generate().stream()
        .flatMap(s -> s.patients().stream()).toList()) {
      assertTrue(p.bmi() >= 15 && p.bmi() <= 45, "bmi " + p.bmi());
      assertTrue(p.sbp() >= 80 && p.sbp() <= 220, "sbp " + p.sbp());
      assertTrue(p.glucose() >= 60 && p.glucose() <= 410, "glucose " + p.glucose());
      assertTrue(p.ldl() >= 30 && p.ldl() <= 270, "ldl " + p.ldl());
      assertTrue(p.creatinine() >= 0.3 && p.creatinine() <= 8.2, "creatinine " + p.creatinine());
      assertTrue(Set.of("never", "former", "current").contains(p.smokingStatus()), p.smokingStatus());
    }
  }

  @Test void prevalenceDiffersBetweenSites() {
    List<SiteCohort> sites = CohortGenerator.builder().sites(3).patientsPerSite(2000).build().generate();
    double a = sites.get(0).prevalence();
    double c = sites.get(2).prevalence();
    assertTrue(a - c > 0.10, "hospital-a (referral centre) " + a + " vs hospital-c (community) " + c);
  }

  @Test void caseMixDiffersBetweenSites() {
    List<SiteCohort> sites = CohortGenerator.builder().sites(4).patientsPerSite(2000).build().generate();
    double ageC = sites.get(2).patients().stream().mapToInt(Patient::age).average().orElseThrow();
    double ageD = sites.get(3).patients().stream().mapToInt(Patient::age).average().orElseThrow();
    assertTrue(ageD - ageC > 8, "hospital-d mean age " + ageD + " vs hospital-c " + ageC);
  }

  @Test void assayOffsetShiftsRecordedValuesAtOneHospital() {
    // hospital-c's glucose analyser reads 8 mg/dL high; recorded minus offset is the true value, which feeds the model
    Patient p = CohortGenerator.builder().sites(3).patientsPerSite(50).missingRate(0).build().generate().get(2).patients().get(0);
    double trueGlucose = p.glucose() - 8;
    double expected = TrueModel.probability(-0.55, p.age(), p.sex(), p.bmi(), p.sbp(), trueGlucose, p.ldl(), p.creatinine(), p.smokingStatus());
    assertEquals(expected, p.outcomeProbability(), 1e-12);
  }

  @Test void outcomesFollowTheTrueModel() {
    List<Patient> all = CohortGenerator.builder().sites(3).patientsPerSite(1000).build().generate().stream()
        .flatMap(s -> s.patients().stream()).toList();
    double pos = all.stream().filter(p -> p.outcome() == 1).mapToDouble(Patient::outcomeProbability).average().orElseThrow();
    double neg = all.stream().filter(p -> p.outcome() == 0).mapToDouble(Patient::outcomeProbability).average().orElseThrow();
    assertTrue(pos > neg + 0.1, "mean true probability among positives " + pos + " vs negatives " + neg);
    double expectedPositives = all.stream().mapToDouble(Patient::outcomeProbability).sum();
    long positives = all.stream().filter(p -> p.outcome() == 1).count();
    assertEquals(expectedPositives, positives, 4 * Math.sqrt(expectedPositives), "calibrated");
  }

  @Test void missingCellsAreWrittenEmptyOrNaAtTheConfiguredRate() throws IOException {
    CohortGenerator.builder().sites(2).patientsPerSite(1000).missingRate(0.05).build().writeTo(dir);
    List<String> clinical = List.of("bmi", "sbp", "glucose", "ldl", "creatinine", "smoking_status");
    int[] cols = clinical.stream().mapToInt(CohortGenerator.columns()::indexOf).toArray();
    for (String file : List.of("hospital-a.csv", "hospital-b.csv")) {
      List<List<String>> rows = readCsv(dir.resolve(file));
      Set<String> tokens = new java.util.HashSet<>();
      int missing = 0;
      for (List<String> row : rows.subList(1, rows.size())) {
        for (int c : cols) {
          String v = row.get(c);
          if (v.isEmpty() || v.equals("NA")) { missing++; tokens.add(v); }
        }
        assertFalse(row.get(CohortGenerator.columns().indexOf("outcome")).isEmpty());
      }
      double rate = missing / (1000.0 * cols.length);
      assertTrue(rate > 0.035 && rate < 0.065, file + " missing rate " + rate);
      assertEquals(Set.of(file.equals("hospital-a.csv") ? "" : "NA"), tokens);
    }
  }

  @Test void truthFileListsTheModelAndEachSite() throws IOException {
    List<SiteCohort> sites = CohortGenerator.builder().sites(2).patientsPerSite(100).build().writeTo(dir);
    JsonNode truth = new ObjectMapper().readTree(dir.resolve("truth.json").toFile());
    assertEquals(TrueModel.INTERCEPT, truth.at("/model/intercept").asDouble());
    assertEquals(0.55, truth.at("/model/terms/0/coefficient").asDouble());
    assertEquals("age", truth.at("/model/terms/0/feature").asText());
    assertEquals("hospital-b.csv", truth.at("/sites/1/file").asText());
    assertEquals(sites.get(1).positives(), truth.at("/sites/1/positives").asInt());
    assertEquals(0.15, truth.at("/sites/1/measurementOffsets/creatinine").asDouble());
    try (var files = Files.list(dir)) {
      assertEquals(Set.of("hospital-a.csv", "hospital-b.csv", "truth.json"),
          files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()), "no temporary files left");
    }
  }

  @Test void exampleStudyParsesAndNeedsOnlyGeneratedColumns() {
    StudySpec spec = StudySpecParser.parse(CohortGenerator.exampleStudyJson());
    assertTrue(CohortGenerator.columns().containsAll(spec.requiredColumns()), spec.requiredColumns().toString());
    assertEquals("outcome", spec.labelColumn());
    assertEquals("1", spec.labelPositive());
    assertEquals(CohortGenerator.STUDY_FEATURES, spec.features().stream().map(f -> f.name()).toList());
    assertEquals(List.of("age", "bmi", "sbp", "glucose", "ldl", "creatinine", "sex=F", "sex=M",
        "smoking_status=never", "smoking_status=former", "smoking_status=current"), spec.encodedFeatureNames());
  }

  @Test void siteCountMustMatchTheNumberOfSizes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CohortGenerator.builder().sites(3).sitePatients(100, 200).build());
    assertEquals("sites is 3 but 2 site sizes were given: [100, 200]; give one size per site, or a single size for all", e.getMessage());
  }

  @Test void invalidSettingsAreRejectedNamingTheValue() {
    assertEquals("missingRate must be between 0 and 0.5, was 0.7",
        assertThrows(IllegalArgumentException.class, () -> CohortGenerator.builder().missingRate(0.7)).getMessage());
    assertEquals("missingRate must be between 0 and 0.5, was NaN",
        assertThrows(IllegalArgumentException.class, () -> CohortGenerator.builder().missingRate(Double.NaN)).getMessage());
    assertEquals("sites must be between 1 and 702, was 0",
        assertThrows(IllegalArgumentException.class, () -> CohortGenerator.builder().sites(0)).getMessage());
    assertEquals("patients per site must be between 1 and 10000000, was 0",
        assertThrows(IllegalArgumentException.class, () -> CohortGenerator.builder().patientsPerSite(0)).getMessage());
  }

  /** A minimal RFC 4180 reader for checking output (no embedded newlines occur in generated files). */
  static List<List<String>> readCsv(Path file) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    for (String line : Files.readString(file, StandardCharsets.UTF_8).split("\r\n")) {
      List<String> fields = new ArrayList<>();
      StringBuilder cur = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < line.length(); i++) {
        char ch = line.charAt(i);
        if (quoted) {
          if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { cur.append('"'); i++; }
          else if (ch == '"') quoted = false;
          else cur.append(ch);
        } else if (ch == '"') quoted = true;
        else if (ch == ',') { fields.add(cur.toString()); cur.setLength(0); }
        else cur.append(ch);
      }
      fields.add(cur.toString());
      rows.add(fields);
    }
    return rows;
  }
}
