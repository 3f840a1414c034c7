package org.dure.agent.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dure.tabular.CsvTable;
import org.dure.tabular.DataException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the example OMOP cohort query ({@code deploy/site-agent/omop-cohort.sql}) through {@link JdbcSource} against
 * a real PostgreSQL server holding a generated OMOP CDM v5.4 subset, and checks every row it returns.
 */
class JdbcSourcePostgresTest {
  private static final Path EXAMPLE_QUERY = Path.of("../deploy/site-agent/omop-cohort.sql");
  private static final int BMI = 3038553, SYSTOLIC = 3004249, GLUCOSE = 3004501, HBA1C = 3004410, CREATININE = 3016723;
  private static final int[] LABS = {BMI, SYSTOLIC, GLUCOSE, HBA1C, CREATININE};
  private static final int MALE = 8507, FEMALE = 8532, UNKNOWN_GENDER = 8551;
  private static final int SMOKER = 4298794, T2DM = 201826, HYPERTENSION = 320128, BODY_WEIGHT = 3025315;
  private static final int EHR = 32817;
  private static final int PATIENTS = 300;
  private static final LocalDate TODAY = LocalDate.now();

  @TempDir static Path dir;
  private static TestPostgres pg;
  private static String readerPassword;
  private static final List<Patient> patients = new ArrayList<>();

  /** What the generator put in the database for one person; recent lab values only (old ones must be ignored). */
  private record Patient(int id, int gender, int yearOfBirth, Map<Integer, List<BigDecimal>> labs, boolean smoker,
                         boolean t2dm) {
    boolean adult() {
      return TODAY.getYear() - yearOfBirth >= 18;
    }

    String[] expectedRow() {
      List<String> row = new ArrayList<>();
      row.add(Integer.toString(TODAY.getYear() - yearOfBirth));
      row.add(gender == MALE ? "M" : gender == FEMALE ? "F" : "");
      for (int concept : LABS) {
        List<BigDecimal> values = labs.getOrDefault(concept, List.of());
        row.add(values.isEmpty() ? "" : values.stream().reduce(BigDecimal.ZERO, BigDecimal::add)
            .divide(BigDecimal.valueOf(values.size()), 2, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString());
      }
      row.add(smoker ? "1" : "0");
      row.add(t2dm ? "1" : "0");
      return row.toArray(new String[0]);
    }
  }

  @BeforeAll static void startServerWithOmopCohort() throws Exception {
    pg = TestPostgres.start();
    readerPassword = "reader-" + Long.toHexString(new Random().nextLong());
    try (Connection c = pg.superuser("postgres"); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE cdm");
      st.execute("CREATE ROLE dure_reader LOGIN PASSWORD '" + readerPassword + "'");
    }
    try (Connection c = pg.superuser("cdm"); Statement st = c.createStatement()) {
      try (InputStream ddl = JdbcSourcePostgresTest.class.getResourceAsStream("omop-cdm-subset.sql")) {
        st.execute(new String(ddl.readAllBytes(), StandardCharsets.UTF_8));
      }
      generate(c);
      st.execute("GRANT USAGE ON SCHEMA cdm TO dure_reader");
      st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA cdm TO dure_reader");
    }
  }

  @AfterAll static void stopServer() {
    if (pg != null) pg.close();
  }

  /**
   * Three known patients, then generated ones: 1 (male, 64, two BMIs, three HbA1cs, one systolic, creatinine only
   * from 10 years ago, smoker, type 2 diabetes), 2 (female, 45, nothing measured, hypertension only), 3 (a child,
   * left out), 4 (gender unknown, 30).
   */
  private static void generate(Connection c) throws Exception {
    int year = TODAY.getYear();
    Random rnd = new Random(20240301);
    try (PreparedStatement person = c.prepareStatement("INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth,"
            + " race_concept_id, ethnicity_concept_id, person_source_value) VALUES (?, ?, ?, 0, 0, ?)");
         PreparedStatement meas = c.prepareStatement("INSERT INTO cdm.measurement (measurement_id, person_id,"
             + " measurement_concept_id, measurement_date, measurement_type_concept_id, value_as_number) VALUES (?, ?, ?, ?, ?, ?)");
         PreparedStatement cond = c.prepareStatement("INSERT INTO cdm.condition_occurrence (condition_occurrence_id,"
             + " person_id, condition_concept_id, condition_start_date, condition_type_concept_id) VALUES (?, ?, ?, ?, ?)");
         PreparedStatement obs = c.prepareStatement("INSERT INTO cdm.observation (observation_id, person_id,"
             + " observation_concept_id, observation_date, observation_type_concept_id) VALUES (?, ?, ?, ?, ?)")) {
      int[] ids = {0};
      Inserter m = (p, concept, daysAgo, value) -> {
        meas.setInt(1, ++ids[0]);
        meas.setInt(2, p);
        meas.setInt(3, concept);
        meas.setDate(4, Date.valueOf(TODAY.minusDays(daysAgo)));
        meas.setInt(5, EHR);
        meas.setBigDecimal(6, value);
        meas.addBatch();
      };
      for (int id = 1; id <= PATIENTS; id++) {
        int gender;
        int yob;
        Map<Integer, List<BigDecimal>> labs = new LinkedHashMap<>();
        boolean smoker;
        boolean t2dm;
        boolean hypertension;
        switch (id) {
          case 1 -> {
            gender = MALE;
            yob = year - 64;
            labs.put(BMI, List.of(new BigDecimal("27.5"), new BigDecimal("28.0")));
            labs.put(HBA1C, List.of(new BigDecimal("7.1"), new BigDecimal("7.4"), new BigDecimal("7.9")));
            labs.put(SYSTOLIC, List.of(new BigDecimal("142")));
            m.add(id, CREATININE, 3650, new BigDecimal("1.3"));  // outside the 5-year look-back
            m.add(id, GLUCOSE, 30, null);                       // a measurement without a value
            smoker = true;
            t2dm = true;
            hypertension = false;
          }
          case 2 -> {
            gender = FEMALE;
            yob = year - 45;
            smoker = false;
            t2dm = false;
            hypertension = true;
          }
          case 3 -> {
            gender = FEMALE;
            yob = year - 12;
            labs.put(BMI, List.of(new BigDecimal("17.0")));
            smoker = false;
            t2dm = false;
            hypertension = false;
          }
          case 4 -> {
            gender = UNKNOWN_GENDER;
            yob = year - 30;
            labs.put(GLUCOSE, List.of(new BigDecimal("95.0")));
            smoker = false;
            t2dm = false;
            hypertension = false;
          }
          default -> {
            double g = rnd.nextDouble();
            gender = g < 0.48 ? MALE : g < 0.96 ? FEMALE : UNKNOWN_GENDER;
            yob = year - (rnd.nextDouble() < 0.03 ? 2 + rnd.nextInt(15) : 20 + rnd.nextInt(70));
            t2dm = rnd.nextDouble() < 0.2;
            smoker = rnd.nextDouble() < 0.25;
            hypertension = rnd.nextDouble() < 0.3;
            for (int concept : LABS) {
              if (rnd.nextDouble() < 0.15) continue;
              List<BigDecimal> values = new ArrayList<>();
              for (int k = 1 + rnd.nextInt(3); k > 0; k--) values.add(labValue(concept, t2dm, rnd));
              labs.put(concept, values);
            }
            if (rnd.nextDouble() < 0.1) m.add(id, HBA1C, 8 * 365, new BigDecimal("13.0"));  // too old to count
            if (rnd.nextDouble() < 0.3) m.add(id, BODY_WEIGHT, 10, new BigDecimal("80.0")); // not a feature
          }
        }
        person.setInt(1, id);
        person.setInt(2, gender);
        person.setInt(3, yob);
        person.setString(4, "MRN" + (100000 + id));
        person.addBatch();
        for (Map.Entry<Integer, List<BigDecimal>> e : labs.entrySet()) {
          for (BigDecimal v : e.getValue()) m.add(id, e.getKey(), 1 + rnd.nextInt(700), v);
        }
        int condId = id * 10;
        if (t2dm) addEvent(cond, condId++, id, T2DM);
        if (hypertension) addEvent(cond, condId, id, HYPERTENSION);
        if (smoker) addEvent(obs, id, id, SMOKER);
        patients.add(new Patient(id, gender, yob, labs, smoker, t2dm));
      }
      person.executeBatch();
      meas.executeBatch();
      cond.executeBatch();
      obs.executeBatch();
    }
  }

  private interface Inserter {
    void add(int person, int concept, int daysAgo, BigDecimal value) throws Exception;
  }

  private static void addEvent(PreparedStatement st, int id, int person, int concept) throws Exception {
    st.setInt(1, id);
    st.setInt(2, person);
    st.setInt(3, concept);
    st.setDate(4, Date.valueOf(TODAY.minusDays(100)));
    st.setInt(5, EHR);
    st.addBatch();
  }

  private static BigDecimal labValue(int concept, boolean diabetic, Random rnd) {
    double v = switch (concept) {
      case BMI -> 19 + rnd.nextDouble() * 18;
      case SYSTOLIC -> 100 + rnd.nextInt(80);
      case GLUCOSE -> (diabetic ? 120 : 75) + rnd.nextDouble() * 60;
      case HBA1C -> (diabetic ? 6.5 : 4.6) + rnd.nextDouble() * 2.5;
      default -> 0.5 + rnd.nextDouble() * 1.5;
    };
    return BigDecimal.valueOf(v).setScale(concept == SYSTOLIC ? 0 : 1, RoundingMode.HALF_UP);
  }

  private static Path secret(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, content + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static JdbcSource reader(String query, Path queryFile, ColumnMapping columns) throws IOException {
    return new JdbcSource(pg.url("cdm") + "?currentSchema=cdm", "dure_reader", secret("reader.pass", readerPassword),
        query, queryFile, 7, Duration.ofSeconds(60), columns);
  }

  @Test void theExampleOmopQueryGivesOneRowPerAdultWithStudyColumnNames() throws Exception {
    JdbcSource source = reader(null, EXAMPLE_QUERY, new ColumnMapping(Map.of("age", "age_years", "hba1c", "measurement_hba1c")));

    CsvTable table = source.read();

    assertEquals(List.of("age", "sex", "bmi", "systolic_bp", "glucose", "hba1c", "creatinine", "smoker", "t2dm"), table.header());
    List<Patient> adults = patients.stream().filter(Patient::adult).toList();
    assertTrue(adults.size() > 250 && adults.size() < PATIENTS, "adults: " + adults.size());
    assertEquals(adults.size(), table.rowCount());
    assertEquals("query omop-cohort.sql", table.fileName());
    assertArrayEquals(new String[] {"64", "M", "27.75", "142", "", "7.47", "", "1", "1"}, row(table, 0));
    assertArrayEquals(new String[] {"45", "F", "", "", "", "", "", "0", "0"}, row(table, 1));
    assertArrayEquals(new String[] {"30", "", "", "", "95", "", "", "0", "0"}, row(table, 2)); // patient 3 is a child
    for (int r = 0; r < adults.size(); r++) {
      assertArrayEquals(adults.get(r).expectedRow(), row(table, r), "patient " + adults.get(r).id());
      assertEquals(r + 1, table.line(r));
    }
  }

  @Test void valuesOfEachTypeAreWrittenAsPlainText() throws Exception {
    JdbcSource source = reader("SELECT 1::int AS i, 1.50::numeric AS n, 100::numeric AS h, NULL::numeric AS nn,"
        + " 2.5::float8 AS f, true AS b, DATE '2024-03-01' AS d, TIMESTAMP '2024-03-01 08:30:00' AS ts, 'x'::text AS t,"
        + " NULL::text AS nt, NULL::date AS nd", null, ColumnMapping.none());

    CsvTable table = source.read();

    assertArrayEquals(new String[] {"1", "1.5", "100", "", "2.5", "true", "2024-03-01", "2024-03-01T08:30", "x", "", ""},
        row(table, 0));
  }

  @Test void theConnectionIsReadOnlyEvenForARoleThatMayWrite() throws Exception {
    // The superuser may write anything: only the agent's read-only transaction stops this insert.
    JdbcSource source = new JdbcSource(pg.url("cdm"), "postgres", secret("super.pass", superPassword()),
        "INSERT INTO cdm.person (person_id, gender_concept_id, year_of_birth, race_concept_id, ethnicity_concept_id)"
            + " VALUES (999999, 8507, 1950, 0, 0) RETURNING person_id", null);

    IOException e = assertThrows(IOException.class, source::read);

    assertTrue(e.getMessage().contains("read-only transaction") && e.getMessage().contains("must not write"), e.getMessage());
    try (Connection c = pg.superuser("cdm"); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT count(*) FROM cdm.person WHERE person_id = 999999")) {
      rs.next();
      assertEquals(0, rs.getInt(1));
    }
  }

  @Test void aQueryRunningPastItsTimeoutIsCancelledWithAHint() throws Exception {
    JdbcSource source = new JdbcSource(pg.url("cdm"), "dure_reader", secret("reader.pass", readerPassword),
        "SELECT pg_sleep(10)", null, 100, Duration.ofSeconds(1), ColumnMapping.none());

    long t0 = System.nanoTime();
    IOException e = assertThrows(IOException.class, source::read);

    assertTrue((System.nanoTime() - t0) / 1_000_000 < 8000, "the query was not cancelled");
    assertTrue(e.getMessage().contains("ran longer than \"queryTimeoutSeconds\" (1)"), e.getMessage());
  }

  @Test void aWrongPasswordSaysWhatToCheckWithoutShowingIt() throws Exception {
    JdbcSource source = new JdbcSource(pg.url("cdm"), "dure_reader", secret("wrong.pass", "not-the-password"),
        "SELECT 1", null);

    IOException e = assertThrows(IOException.class, source::read);

    assertTrue(e.getMessage().contains("password authentication failed for user \"dure_reader\""), e.getMessage());
    assertTrue(e.getMessage().contains("check \"user\" and the password in \"passwordFile\""), e.getMessage());
    assertTrue(!e.getMessage().contains("not-the-password"), e.getMessage());
  }

  @Test void aMappingToAColumnTheQueryLacksNamesBothColumns() throws Exception {
    JdbcSource source = reader(null, EXAMPLE_QUERY, new ColumnMapping(Map.of("hba1c", "hba1c_mean")));

    DataException e = assertThrows(DataException.class, source::read);

    assertTrue(e.getMessage().startsWith("query omop-cohort.sql: the column mapping \"hba1c\": \"hba1c_mean\" names a local"
        + " column \"hba1c_mean\" that the data does not have"), e.getMessage());
    assertTrue(e.getMessage().contains("measurement_hba1c"), e.getMessage());
  }

  private static String superPassword() {
    return pg.superPassword();
  }

  private static String[] row(CsvTable table, int r) {
    String[] values = new String[table.header().size()];
    for (int c = 0; c < values.length; c++) values[c] = table.value(r, c);
    return values;
  }
}
