package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.dure.agent.AgentConfig;
import org.dure.agent.SiteAgent;
import org.dure.agent.data.CsvSource;
import org.dure.agent.data.LocalData;
import org.dure.agent.policy.LocalPolicy;
import org.dure.cohort.CohortGenerator;
import org.dure.tabular.CsvTable;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pseudonymisation at the site, seen from outside the hospital: during a whole study over generated cohorts that
 * hold every kind of direct identifier, none of those values is in any byte the coordinator receives; a study that
 * asks for an identifier column finds it gone; and an agent whose data hides identifiers under a harmless column
 * name does not start.
 */
class PseudonymisationEndToEndTest {
  @TempDir Path dir;

  private static final List<String> IDENTIFIER_COLUMNS = List.of("patient_id", "mrn", "name", "rrn", "birth_date", "phone", "address");

  /** Every identifier value in the files (and, for RRNs and phones, also without hyphens). */
  private static Set<String> identifiers(List<Path> files) throws Exception {
    Set<String> values = new LinkedHashSet<>();
    for (Path f : files) {
      CsvTable t = CsvTable.read(f);
      for (String column : IDENTIFIER_COLUMNS) {
        int c = t.columnIndex(column);
        assertTrue(c >= 0, "the generated file has " + column);
        for (int r = 0; r < t.rowCount(); r++) {
          String v = t.value(r, c).trim();
          if (v.isEmpty()) continue;
          values.add(v);
          if (column.equals("rrn") || column.equals("phone")) values.add(v.replace("-", ""));
        }
      }
    }
    return values;
  }

  @Test
  void noIdentifierValueLeavesTheHospitalDuringAWholeStudyAndIdentifierColumnsCannotBeStudied() throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 3, 300, 5);
    Set<String> identifiers = identifiers(files);
    assertTrue(identifiers.size() > 3 * 300 * 6, "identifiers collected: " + identifiers.size());
    try (TestConsortium c = new TestConsortium(dir)) {
      ByteArrayOutputStream wire = new ByteArrayOutputStream();
      List<Integer> messages = new ArrayList<>();
      c.coordinator.observeInbound((site, binary, payload) -> {
        synchronized (wire) {
          wire.writeBytes(payload);
          wire.write(0);
          messages.add(payload.length);
        }
      });
      for (int i = 0; i < 3; i++) c.agent("hospital-" + (char) ('a' + i), files.get(i));
      c.awaitSites(3);

      ObjectNode plain = (ObjectNode) TestConsortium.JSON.readTree(TestConsortium.plain(CohortGenerator.exampleStudyJson()));
      ((ObjectNode) plain.path("training")).put("rounds", 3);
      String id = c.run(plain.toString());
      assertEquals("COMPLETED", c.awaitEnd(id, Duration.ofMinutes(2)).path("status").asText());

      ObjectNode nosy = plain.deepCopy();
      nosy.put("name", "asks-for-identifiers");
      ((ArrayNode) nosy.path("features")).add("rrn").add("name");
      String nosyId = c.run(nosy.toString());
      JsonNode refused = null;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        refused = c.get("/api/studies/" + nosyId).body();
        int declined = 0;
        for (JsonNode site : refused.path("sites")) if (site.path("state").asText().equals("DECLINED")) declined++;
        if (declined == 3) break;
        Thread.sleep(100);
      }
      assertEquals(3, refused.path("sites").size(), refused.toString());
      for (JsonNode site : refused.path("sites")) {
        assertEquals("DECLINED", site.path("state").asText(), refused.toString());
        assertTrue(site.path("reason").asText().contains("lacks the columns [rrn, name]"), site.toString());
      }
      JsonNode failed = c.awaitEnd(nosyId, Duration.ofSeconds(30));
      assertEquals("FAILED", failed.path("status").asText(), "every site declined: " + failed);
      assertTrue(failed.path("statusReason").asText().contains("lacks the columns [rrn, name]"), failed.toString());

      byte[] sent;
      synchronized (wire) {
        sent = wire.toByteArray();
        assertTrue(messages.size() >= 20, "the capture saw the study: " + messages.size() + " messages");
      }
      String text = new String(sent, StandardCharsets.ISO_8859_1);   // byte-for-byte, so UTF-8 needles match as bytes
      List<String> leaked = new ArrayList<>();
      for (String v : identifiers) {
        String needle = new String(v.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        if (text.contains(needle)) leaked.add(v.length() > 3 ? v.substring(0, 3) + "…" : v);
      }
      assertTrue(leaked.isEmpty(), leaked.size() + " identifier values left the hospital, e.g. " + leaked.subList(0, Math.min(5, leaked.size())));

      for (int i = 0; i < 3; i++) {
        Path report = dir.resolve("agents").resolve("hospital-" + (char) ('a' + i)).resolve(LocalData.REPORT_JSON);
        JsonNode r = TestConsortium.JSON.readTree(report.toFile());
        assertTrue(r.path("achievedK").asInt() >= 5, r.toString());
        assertEquals(6, r.path("removed").size(), r.toString());
        String reportText = Files.readString(report);
        for (String v : identifiers) {
          if (v.length() >= 6) assertFalse(reportText.contains(v), "the report holds no identifier value");
        }
      }
    }
  }

  @Test
  void anAgentWhoseDataHidesResidentRegistrationNumbersUnderAHarmlessNameRefusesToStartNamingTheColumn() throws Exception {
    Path file = TestConsortium.cohorts(dir, 1, 100, 7).get(0);
    List<String> lines = Files.readAllLines(file);
    List<String> renamed = new ArrayList<>();
    renamed.add(lines.get(0).replace(",rrn,", ",note,"));
    renamed.addAll(lines.subList(1, lines.size()));
    Path hidden = TestConsortium.write(dir.resolve("hidden").resolve("hospital-x.csv"), renamed);
    try (TestConsortium c = new TestConsortium(dir)) {
      Path tls = c.pki.enrol("hospital-x");
      // the generator's configuration without the rrn entry: "note" is undeclared, so it is scanned
      ObjectNode section = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.pseudonymisationJson(
          dir.resolve("secrets").resolve("hospital-x").resolve("pseudonym.key").toString()));
      ((ObjectNode) section.path("columns")).remove("rrn");
      var pseudonymisation = org.dure.pseudonymisation.PseudonymisationConfig.parse(section, dir);
      IOException e = assertThrows(IOException.class, () -> SiteAgent.start(new AgentConfig("hospital-x", c.agentUri(),
          new CsvSource(hidden), tls, dir.resolve("agents").resolve("hospital-x"), LocalPolicy.rehearsal(), pseudonymisation)));
      assertTrue(e.getMessage().contains("\"note\"") && e.getMessage().contains("resident registration"), e.getMessage());
      String rrnSample = lines.get(1).split(",")[3];
      assertFalse(e.getMessage().contains(rrnSample), "the message never shows a value");
      Thread.sleep(300);
      assertEquals(0, c.get("/api/sites").body().size(), "the refused agent never connected");
    }
  }
}
