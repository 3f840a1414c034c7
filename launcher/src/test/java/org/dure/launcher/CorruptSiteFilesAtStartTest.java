package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dure.agent.SiteAgent;
import org.dure.agent.outbound.OutboundLedger;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.testing.TestConsortium;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, faults: a site agent that finds its outbound ledger or its privacy-budget file corrupt at start refuses to
 * start, naming the file and the line — it neither appends to a broken chain as if it were intact nor takes an
 * unreadable budget for "nothing spent". (The coordinator's side: CorruptStateAtStartTest, CoordinatorRestartTest.)
 */
class CorruptSiteFilesAtStartTest {
  @TempDir Path dir;

  /** Starts the agent until it is connected (its hello recorded), then stops it. */
  private static void runOnce(TestConsortium c, Path csv) throws Exception {
    SiteAgent a = c.agent("hospital-a", csv);
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!a.isConnected() && System.nanoTime() < deadline) Thread.sleep(50);
    assertTrue(a.isConnected(), "connected");
    a.close();
    c.agents.remove(a);
  }

  @Test
  void anAgentWhoseOutboundLedgerHasAChangedLineRefusesToStartNamingTheFileAndLineButCarriesOnAfterACutShortLastLine()
      throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 1, 200, 3);
    try (TestConsortium c = new TestConsortium(dir)) {
      runOnce(c, files.get(0));
      runOnce(c, files.get(0));
      Path ledger = dir.resolve("agents/hospital-a").resolve(OutboundLedger.FILE);
      List<String> lines = Files.readAllLines(ledger, StandardCharsets.UTF_8);
      assertTrue(lines.size() >= 2, lines.toString());
      byte[] intact = Files.readAllBytes(ledger);
      Files.writeString(ledger, String.join("\n", lines).replaceFirst("\"bytes\":\\d+", "\"bytes\":1") + "\n");
      byte[] broken = Files.readAllBytes(ledger);

      IOException refused = assertThrows(IOException.class, () -> c.agent("hospital-a", files.get(0)));
      String m = refused.getMessage();
      assertTrue(m.contains(ledger.toString()) && m.contains("broken at line 1") && m.contains("does not start"), m);
      assertTrue(java.util.Arrays.equals(broken, Files.readAllBytes(ledger)), "the file is left as it was");

      // A last line cut short (the machine stopped while writing it) is the one break the agent carries on from.
      Files.write(ledger, intact);
      Files.writeString(ledger, "{\"seq\":" + (lines.size() + 1) + ",\"time\":\"20", java.nio.file.StandardOpenOption.APPEND);
      runOnce(c, files.get(0));
      assertEquals(lines.size() + 2, Files.readAllLines(ledger).size(), "the cut line stays, the new hello follows it");
    }
  }

  @Test
  void anAgentWhosePrivacyBudgetFileIsCorruptRefusesToStartNamingTheFileAndLineInsteadOfForgettingWhatWasSpent()
      throws Exception {
    List<Path> files = TestConsortium.cohorts(dir, 1, 200, 3);
    try (TestConsortium c = new TestConsortium(dir)) {
      Path budget = Files.createDirectories(dir.resolve("agents/hospital-a")).resolve(PrivacyBudget.FILE);
      String corrupt = "{\n  \"totalEpsilon\" : 0.8,\n  \"studies\" : {\n    \"s1\" : { \"samplingRate\" : 0.1, \"noise";
      Files.writeString(budget, corrupt);
      IOException refused = assertThrows(IOException.class, () -> c.agent("hospital-a", files.get(0)));
      String m = refused.getMessage();
      assertTrue(m.contains(budget.toString()) && m.contains("at line 4") && m.contains("does not start"), m);
      assertEquals(corrupt, Files.readString(budget), "the file is left as it was");

      Files.writeString(budget, "[]\n");
      m = assertThrows(IOException.class, () -> c.agent("hospital-a", files.get(0))).getMessage();
      assertTrue(m.contains(budget.toString()) && m.contains("not a JSON object"), m);

      Files.writeString(budget, "{\"totalEpsilon\":0.0,\"studies\":{}}\n");
      runOnce(c, files.get(0));
    }
  }
}
