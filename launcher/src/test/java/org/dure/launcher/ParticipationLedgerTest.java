package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.dure.cohort.CohortGenerator;
import org.dure.cohort.SiteCohort;
import org.dure.coordinator.ledger.LedgerCommand;
import org.dure.coordinator.security.CoordinatorPki;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The participation ledger written by a real study: complete, verifiable, checked by every site through its
 * receipts, and tamper-evident — `dure ledger verify` names the first bad entry, and sites notice a rewritten
 * history on their own.
 */
class ParticipationLedgerTest {
  @TempDir Path dir;

  private List<Path> cohorts(int sites) throws Exception {
    return TestConsortium.cohorts(dir, sites, 300, 9);
  }

  private static String study(int rounds) throws Exception {
    ObjectNode s = (ObjectNode) TestConsortium.JSON.readTree(CohortGenerator.exampleStudyJson());
    ((ObjectNode) s.path("training")).put("rounds", rounds);
    s.put("minSites", 2).put("roundDeadlineSeconds", 30);
    return s.toString();
  }

  @Test
  void aStudyIsRecordedEntryByEntryAndEverySiteChecksItsReceiptsAgainstTheSignedTreeHeads() throws Exception {
    List<Path> files = cohorts(3);
    try (TestConsortium c = new TestConsortium(dir)) {
      for (int i = 0; i < 3; i++) c.agent("hospital-" + (char) ('a' + i), files.get(i));
      c.awaitSites(3);
      String id = c.run(study(3));
      assertEquals("COMPLETED", c.awaitEnd(id, Duration.ofMinutes(2)).path("status").asText());

      JsonNode entries = c.getAsAdmin("/api/ledger/entries?study=" + id).body();
      Map<String, Integer> byType = new HashMap<>();
      for (JsonNode e : entries) byType.merge(e.path("type").asText(), 1, Integer::sum);
      assertEquals(1, byType.get("STUDY_SUBMITTED"), byType.toString());
      assertEquals(3, byType.get("SITE_APPROVED"), byType.toString());
      assertEquals(3, byType.get("ROUND_STARTED"), byType.toString());
      assertEquals(9, byType.get("CONTRIBUTION_RECEIVED"), byType.toString());
      assertEquals(3, byType.get("AGGREGATE_COMMITTED"), byType.toString());
      assertEquals(1, byType.get("STUDY_ENDED"), byType.toString());
      for (JsonNode e : entries) {
        if (e.path("type").asText().equals("CONTRIBUTION_RECEIVED")) {
          assertEquals("masked-input", e.path("details").path("kind").asText(), e.toString());
          assertFalse(e.path("siteSignature").asText().isEmpty(), "the site's own signature is in its entry");
        }
      }
      assertEquals(403, c.get("/api/ledger/entries").status(), "researchers do not read the ledger");

      JsonNode verified = c.getAsAdmin("/api/ledger/verify").body();
      assertTrue(verified.path("ok").asBoolean(), verified.toString());

      String csv = c.getTextAsAdmin("/api/ledger/report?study=" + id + "&format=csv");
      assertTrue(csv.startsWith("study_id,site_id,decision,rows,rounds_joined,contributions,dropped,epsilon_spent"), csv);
      for (String site : List.of("hospital-a", "hospital-b", "hospital-c")) {
        assertTrue(csv.contains(id + "," + site + ",APPROVED,"), csv);
        assertTrue(csv.contains(",3,3,0,0.0"), "3 rounds joined, 3 contributions, no dropout: " + csv);
        Path work = dir.resolve("agents").resolve(site);
        assertTrue(Files.isRegularFile(work.resolve("ledger-head.json")), site + " keeps the last tree head it accepted");
        assertFalse(Files.exists(work.resolve("ledger-alarms.log")), site + " raised a ledger alarm");
      }

      JsonNode one = c.getAsAdmin("/api/ledger/entries/0").body();
      // the first entry is the study's submission, or the sites' enrolment when the register reload got there first
      assertTrue(List.of("STUDY_SUBMITTED", "SITE_ENROLLED").contains(one.path("entry").path("type").asText()), one.toString());
      assertTrue(one.path("treeHead").path("size").asLong() >= entries.size(), one.toString());
    }
  }

  @Test
  void tamperingWithTheStoredLedgerIsFoundByVerifyWhichNamesTheFirstBadEntry() throws Exception {
    List<Path> files = cohorts(2);
    Path cert;
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      String id = c.run(study(2));
      assertEquals("COMPLETED", c.awaitEnd(id, Duration.ofMinutes(2)).path("status").asText());
      cert = c.pki.coordinatorPki().resolve(CoordinatorPki.TLS_CERT);
    }
    Path ledger = dir.resolve("coordinator").resolve("ledger");
    assertEquals(0, verify(ledger, cert).code(), "the untouched ledger verifies");
    List<String> lines = Files.readAllLines(ledger.resolve("entries.jsonl"), StandardCharsets.UTF_8);
    assertTrue(lines.size() >= 12, "entries: " + lines.size());
    int k = 5;

    Map<String, UnaryOperator<List<String>>> tampers = new java.util.LinkedHashMap<>();
    tampers.put("flipped byte", l -> set(l, k, l.get(k).replaceFirst("\"round\":(\\d)", "\"round\":9")));
    tampers.put("deleted entry", l -> { List<String> m = new ArrayList<>(l); m.remove(k); return m; });
    tampers.put("reordered entries", l -> { List<String> m = new ArrayList<>(l); m.set(k, l.get(k + 1)); m.set(k + 1, l.get(k)); return m; });
    tampers.put("truncated file", l -> new ArrayList<>(l.subList(0, k)));
    tampers.put("replaced signature", l -> set(l, k, withSignatureOf(l.get(k), l.get(k + 1))));
    for (Map.Entry<String, UnaryOperator<List<String>>> t : tampers.entrySet()) {
      Path copy = dir.resolve("tampered-" + t.getKey().replace(' ', '-')).resolve("ledger");
      copyDir(ledger, copy);
      Files.write(copy.resolve("entries.jsonl"), t.getValue().apply(lines), StandardCharsets.UTF_8);
      Result r = verify(copy, cert);
      System.out.println(t.getKey() + " -> " + r.out().strip());
      assertEquals(1, r.code(), t.getKey() + ": " + r.out());
      assertTrue(r.out().contains("entry " + k), t.getKey() + " should be named at entry " + k + ": " + r.out());
    }
  }

  @Test
  void sitesDetectARewrittenHistoryThemselvesThroughTheConsistencyOfTheTreeHeadsTheyAreShown() throws Exception {
    List<Path> files = cohorts(2);
    try (TestConsortium c = new TestConsortium(dir)) {
      c.agent("hospital-a", files.get(0));
      c.agent("hospital-b", files.get(1));
      c.awaitSites(2);
      String first = c.run(study(2));
      assertEquals("COMPLETED", c.awaitEnd(first, Duration.ofMinutes(2)).path("status").asText());

      // Whoever runs the coordinator rewrites history: stop it, cut the log back, drop the published heads.
      c.coordinator.close();
      Path ledger = dir.resolve("coordinator").resolve("ledger");
      List<String> lines = Files.readAllLines(ledger.resolve("entries.jsonl"), StandardCharsets.UTF_8);
      Files.write(ledger.resolve("entries.jsonl"), lines.subList(0, 4), StandardCharsets.UTF_8);
      Files.deleteIfExists(ledger.resolve("tree-heads.jsonl"));
      c.coordinator = c.startCoordinator();
      c.agents.forEach(org.dure.agent.SiteAgent::close);
      c.agents.clear();
      c.agent("hospital-a", files.get(0), c.agentUri());
      c.agent("hospital-b", files.get(1), c.agentUri());
      c.awaitSites(2);
      String second = c.run(study(3));

      // Each site notices on its first receipt, and — its contribution not provably recorded — reveals nothing for it
      // and takes no further part in the study (issue 13, finding 9): the study does not complete on their updates.
      for (String site : List.of("hospital-a", "hospital-b")) {
        Path alarms = dir.resolve("agents").resolve(site).resolve("ledger-alarms.log");
        Path journal = dir.resolve("agents").resolve(site).resolve("contributions.json");
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (!(Files.isRegularFile(journal) && Files.readString(journal).contains("halted"))) {
          assertTrue(System.nanoTime() < deadline, site + " did not stop taking part after the rewritten ledger");
          Thread.sleep(100);
        }
        assertTrue(Files.isRegularFile(alarms), site + " did not notice the rewritten ledger");
        String text = Files.readString(alarms);
        assertTrue(text.contains("rolled back") || text.contains("fork") || text.contains("do not connect")
            || text.contains("different roots"), text);
      }
      JsonNode rounds = c.get("/api/studies/" + second + "/rounds").body();
      assertFalse(rounds.toString().contains("\"survivors\":[\"hospital-a\",\"hospital-b\"]"),
          "no round completed with both sites: " + rounds);
      assertFalse("COMPLETED".equals(c.get("/api/studies/" + second).body().path("status").asText()));
    }
  }

  private record Result(int code, String out) {}

  private static Result verify(Path ledgerDir, Path cert) {
    StringWriter out = new StringWriter();
    CommandLine cmd = new CommandLine(new LedgerCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(out));
    int code = cmd.execute("verify", "--data-dir", ledgerDir.getParent().toString(), "--cert", cert.toString());
    return new Result(code, out.toString());
  }

  private static List<String> set(List<String> l, int i, String v) {
    List<String> m = new ArrayList<>(l);
    if (m.get(i).equals(v)) throw new AssertionError("tamper did not change entry " + i + ": " + v);
    m.set(i, v);
    return m;
  }

  private static String withSignatureOf(String line, String donor) {
    String sig = donor.replaceAll(".*\"coordinatorSignature\":\"([^\"]+)\".*", "$1");
    return line.replaceAll("\"coordinatorSignature\":\"[^\"]+\"", "\"coordinatorSignature\":\"" + sig + "\"");
  }

  private static void copyDir(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.sorted(Comparator.naturalOrder()).toList()) Files.copy(p, to.resolve(p.getFileName()));
    }
  }
}
