package org.dure.agent.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.dure.agent.AgentConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourceConfigTest {
  @TempDir Path dir;

  private AgentConfig load(String data) throws IOException {
    return AgentConfig.load(Files.writeString(dir.resolve("agent.json"),
        "{\"siteId\": \"hospital-a\", \"coordinator\": \"wss://127.0.0.1:8471/agents\", \"data\": " + data + "}"));
  }

  private String loadFails(String data) {
    return assertThrows(IOException.class, () -> load(data)).getMessage();
  }

  private Path secret(String perms) throws IOException {
    Path file = Files.createDirectories(dir.resolve("secret")).resolve("db.pass");
    Files.writeString(file, "s3cret\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
    return file;
  }

  @Test void aCsvSourceWithColumnMappingIsResolvedAgainstTheConfigFile() throws Exception {
    AgentConfig c = load("{\"csv\": \"extract.csv\", \"columns\": {\"age\": \"age_years\", \"hba1c\": \"measurement_hba1c\"}}");

    assertEquals(new CsvSource(dir.resolve("extract.csv"),
        new ColumnMapping(Map.of("age", "age_years", "hba1c", "measurement_hba1c"))), c.data());
    assertEquals("extract.csv", c.data().describe());
  }

  @Test void aJdbcSourceReadsEverySetting() throws Exception {
    secret("rw-------");
    Files.writeString(dir.resolve("cohort.sql"), "SELECT 1");

    AgentConfig c = load("""
        {"jdbc": {"url": "jdbc:postgresql://localhost:5432/cdm?currentSchema=cdm", "user": "dure_reader",
                  "passwordFile": "secret/db.pass", "queryFile": "cohort.sql", "fetchSize": 500, "queryTimeoutSeconds": 90},
         "columns": {"age": "age_years"}}""");

    JdbcSource j = (JdbcSource) c.data();
    assertEquals("jdbc:postgresql://localhost:5432/cdm?currentSchema=cdm", j.url());
    assertEquals("dure_reader", j.user());
    assertEquals(dir.resolve("secret/db.pass"), j.passwordFile());
    assertNull(j.query());
    assertEquals(dir.resolve("cohort.sql"), j.queryFile());
    assertEquals(500, j.fetchSize());
    assertEquals(Duration.ofSeconds(90), j.queryTimeout());
    assertEquals(new ColumnMapping(Map.of("age", "age_years")), j.columns());
    assertEquals("query cohort.sql on jdbc:postgresql://localhost:5432/cdm", j.describe());
  }

  @Test void anInlineQueryGetsDefaultFetchSizeAndTimeout() throws Exception {
    secret("r--------");

    JdbcSource j = (JdbcSource) load("""
        {"jdbc": {"url": "jdbc:postgresql://db/cdm", "user": "r", "passwordFile": "secret/db.pass", "query": "SELECT 1"}}""").data();

    assertEquals("SELECT 1", j.query());
    assertEquals(1000, j.fetchSize());
    assertEquals(Duration.ofMinutes(10), j.queryTimeout());
    assertTrue(j.columns().isEmpty());
  }

  @Test void bothCsvAndJdbcAreRefused() {
    String m = loadFails("{\"csv\": \"x.csv\", \"jdbc\": {\"url\": \"jdbc:postgresql://db/cdm\"}}");
    assertTrue(m.contains("\"data\" names both \"csv\" and \"jdbc\"; keep exactly one"), m);
  }

  @Test void neitherCsvNorJdbcIsRefusedWithTheExpectedShape() {
    String m = loadFails("{\"columns\": {\"age\": \"age_years\"}}");
    assertTrue(m.contains("\"data\" names neither \"csv\" nor \"jdbc\"; expected \"data\": {\"csv\""), m);
  }

  @Test void aNonPostgresUrlIsRefusedWithoutEchoingIt() throws Exception {
    secret("rw-------");
    String m = loadFails("""
        {"jdbc": {"url": "jdbc:sqlserver://db;user=sa;pwd=hunter2", "user": "r", "passwordFile": "secret/db.pass", "query": "SELECT 1"}}""");
    assertTrue(m.contains("\"data.jdbc\": \"url\" must be a PostgreSQL JDBC URL such as jdbc:postgresql://localhost:5432/cdm,"
        + " was a jdbc:sqlserver URL; the agent bundles only the PostgreSQL driver"), m);
    assertTrue(m.contains("\"data\": {\"csv\""), m);
    assertTrue(!m.contains("hunter2"), m);
  }

  @Test void aPasswordInTheUrlIsRefused() {
    String m = loadFails("""
        {"jdbc": {"url": "jdbc:postgresql://db/cdm?user=r&password=hunter2", "user": "r", "query": "SELECT 1"}}""");
    assertTrue(m.contains("\"url\" contains a password"), m);
    assertTrue(!m.contains("hunter2"), m);
  }

  @Test void aWorldReadablePasswordFileIsRefusedWithTheChmodThatFixesIt() throws Exception {
    Path file = secret("rw-r--r--");
    String m = loadFails("""
        {"jdbc": {"url": "jdbc:postgresql://db/cdm", "user": "r", "passwordFile": "secret/db.pass", "query": "SELECT 1"}}""");
    assertTrue(m.endsWith("the database password file " + file + " is accessible to group or others (rw-r--r--);"
        + " it must be owner-only: chmod 600 " + file), m);
    assertTrue(!m.contains("s3cret"), m);
  }

  @Test void aGroupReadablePasswordFileIsRefusedToo() throws Exception {
    secret("rw-r-----");
    String m = loadFails("""
        {"jdbc": {"url": "jdbc:postgresql://db/cdm", "user": "r", "passwordFile": "secret/db.pass", "query": "SELECT 1"}}""");
    assertTrue(m.contains("is accessible to group or others (rw-r-----)"), m);
  }

  @Test void aMissingPasswordFileIsNamed() {
    String m = loadFails("""
        {"jdbc": {"url": "jdbc:postgresql://db/cdm", "user": "r", "passwordFile": "nope.pass", "query": "SELECT 1"}}""");
    assertTrue(m.contains("the database password file " + dir.resolve("nope.pass") + " does not exist"), m);
  }

  @Test void bothQueryAndQueryFileAreRefused() throws Exception {
    secret("rw-------");
    String m = loadFails("""
        {"jdbc": {"url": "jdbc:postgresql://db/cdm", "user": "r", "passwordFile": "secret/db.pass",
                  "query": "SELECT 1", "queryFile": "cohort.sql"}}""");
    assertTrue(m.contains("give exactly one of \"query\" (the SQL text) and \"queryFile\" (a file holding it), found both"), m);
  }

  @Test void aMissingUserIsNamed() {
    String m = loadFails("{\"jdbc\": {\"url\": \"jdbc:postgresql://db/cdm\", \"query\": \"SELECT 1\"}}");
    assertTrue(m.contains("\"user\" is required"), m);
  }

  @Test void aMisspeltJdbcSettingIsNamed() {
    String m = loadFails("{\"jdbc\": {\"url\": \"jdbc:postgresql://db/cdm\", \"user\": \"r\", \"password\": \"x\", \"query\": \"SELECT 1\"}}");
    assertTrue(m.contains("data.jdbc.password: unknown setting"), m);
  }

  @Test void twoStudyColumnsMappedToOneLocalColumnAreRefused() {
    String m = loadFails("{\"csv\": \"x.csv\", \"columns\": {\"age\": \"age_years\", \"age2\": \"age_years\"}}");
    assertTrue(m.contains("\"columns\" maps both \"age\" and \"age2\" to the local column \"age_years\""), m);
  }

  @Test void aNonStringMappingIsRefused() {
    String m = loadFails("{\"csv\": \"x.csv\", \"columns\": {\"age\": 3}}");
    assertTrue(m.contains("\"data.columns.age\" must be the local column name (a string), was 3"), m);
  }

  @Test void theDeployedExampleConfigAndPolicyParse() throws Exception {
    String example = Files.readString(Path.of("../deploy/site-agent/agent.example.json"));
    Files.createDirectories(dir.resolve("etc"));
    Files.copy(Path.of("../deploy/site-agent/policy.example.json"), dir.resolve("etc/policy.json"));

    AgentConfig c = AgentConfig.load(Files.writeString(dir.resolve("agent.json"),
        example.replace("/etc/dure/", dir + "/etc/").replace("/var/lib/dure-agent/", dir + "/var/")));

    assertEquals(new CsvSource(dir.resolve("var/data/extract.csv")), c.data());
    assertEquals(java.util.Optional.of("patient_id"), c.pseudonymisation().patientKeyColumn());
    assertEquals(dir.resolve("var/secret/pseudonym.key"), c.pseudonymisation().secretFile());
    assertEquals(8.0, c.privacyCaps().maxEpsilonPerStudy());
    assertEquals(org.dure.agent.policy.LocalPolicy.Approval.MANUAL, c.policy().approval());
  }

  @Test void theDeployedOmopExampleConfigParses() throws Exception {
    String example = Files.readString(Path.of("../deploy/site-agent/agent.omop.example.json"));
    Files.createDirectories(dir.resolve("etc"));
    Files.copy(Path.of("../deploy/site-agent/omop-cohort.sql"), dir.resolve("etc/omop-cohort.sql"));
    Path pass = Files.writeString(dir.resolve("etc/db.pass"), "s3cret\n");
    Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));

    AgentConfig c = AgentConfig.load(Files.writeString(dir.resolve("agent.json"), example.replace("/etc/dure/", dir + "/etc/")));

    JdbcSource j = (JdbcSource) c.data();
    assertEquals("dure_reader", j.user());
    assertEquals(dir.resolve("etc/omop-cohort.sql"), j.queryFile());
    assertEquals(new ColumnMapping(Map.of("age", "age_years", "hba1c", "measurement_hba1c")), j.columns());
  }

  @Test void theAgentConfigKeepsItsCsvConstructor() {
    AgentConfig c = new AgentConfig("hospital-a", java.net.URI.create("wss://127.0.0.1/agents"), dir.resolve("x.csv"),
        dir.resolve("pki"), dir.resolve("work"));
    assertEquals(new CsvSource(dir.resolve("x.csv")), c.data());
    assertEquals(List.of(), List.copyOf(c.data().columns().studyToLocal().keySet()));
  }

  @Test void aDeclaredSeparatorIsReadAndAnUnknownOneRefused() throws Exception {
    assertEquals(new CsvSource(dir.resolve("extract.csv"), ColumnMapping.none(), ';'),
        load("{\"csv\": \"extract.csv\", \"separator\": \";\"}").data());
    assertEquals('\t', ((CsvSource) load("{\"csv\": \"x.csv\", \"separator\": \"\\t\"}").data()).separator());
    assertEquals(',', ((CsvSource) load("{\"csv\": \"x.csv\"}").data()).separator());
    String e = loadFails("{\"csv\": \"x.csv\", \"separator\": \"::\"}");
    assertTrue(e.contains("\"data.separator\" must be one of \",\" (the default), \";\", \"\\t\" (tab) and \"|\", was \"::\""), e);
  }

  @Test void aSemicolonExtractIsReadWithTheDeclaredSeparator() throws Exception {
    Files.writeString(dir.resolve("extract.csv"), "id;age\n1;63\n");
    assertEquals("63", load("{\"csv\": \"extract.csv\", \"separator\": \";\"}").data().read().value(0, 1));
    org.dure.tabular.DataException e = assertThrows(org.dure.tabular.DataException.class,
        () -> load("{\"csv\": \"extract.csv\"}").data().read());
    assertEquals(1, e.line());
    assertTrue(e.getMessage().contains("the separator looks like ';'"), e.getMessage());
  }
}
