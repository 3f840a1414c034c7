package org.dure.agent.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The outbound ledger in {@code legacy/outbound-ledger/} was written by the agent's {@link OutboundLedger} before
 * entries recorded the privacy filters a message went through (eight messages of one study: hello, pending,
 * accepted, privacy spent, a plain update, a masked input, a refused round, a withdrawal). It must still read and
 * verify, through {@link OutboundReader} and through {@code dure agent outbound}, and take new entries.
 */
class LegacyOutboundLedgerTest {
  static final String FIXTURE = "/legacy/outbound-ledger/outbound.log";
  static final String HEAD = "e7e142477680df9c66f925813015bd7e392c714a0d9d5a9b1cff8629183f04b9";
  static final String STUDY = "0b9d7a52-3c1e-4f2a-9d51-6f0e2b7c4a11";

  @TempDir Path dir;

  private Path workDir() throws Exception {
    Path work = dir.resolve("work");
    Files.createDirectories(work);
    try (InputStream in = LegacyOutboundLedgerTest.class.getResourceAsStream(FIXTURE)) {
      Files.copy(in, work.resolve(OutboundLedger.FILE));
    }
    return work;
  }

  @Test void readsAndVerifiesWithNoFiltersRecorded() throws Exception {
    OutboundReader.Verification v = OutboundReader.read(workDir().resolve(OutboundLedger.FILE));

    assertTrue(v.intact(), v.problem());
    assertEquals(8, v.lines());
    assertEquals(HEAD, v.head());
    List<OutboundEntry> e = v.entries();
    assertEquals(List.of("hello", "study-pending", "study-accepted", "privacy-spent", "site-update", "masked-input",
        "round-failed", "study-withdrawn"), e.stream().map(OutboundEntry::kind).toList());
    assertNull(e.get(0).study());
    assertEquals(STUDY, e.get(5).study());
    assertEquals(2, e.get(5).round());
    assertTrue(e.stream().allMatch(x -> x.filters().isEmpty()), "no entry of the old format names filters");
  }

  @Test void newEntriesWithFiltersFollowOldOnesAndTheChainStaysIntact() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(workDir());
    ledger.record(false, WireJson.write(new AgentMessage.RoundFailed(STUDY, 4, "stop")).getBytes(StandardCharsets.UTF_8),
        List.of("policy", "approval"));
    ledger.record(false, WireJson.write(new AgentMessage.Hello("0.1.0", 0L)).getBytes(StandardCharsets.UTF_8), List.of());

    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertTrue(v.intact(), v.problem());
    assertEquals(10, v.lines());
    assertEquals(List.of("policy", "approval"), v.entries().get(8).filters());
    assertEquals(List.of(), v.entries().get(9).filters());
    assertTrue(!Files.readAllLines(ledger.file()).get(9).contains("filters"), "no filters: no field, as before");
  }

  @Test void theCurrentAgentAppendsAndTheChainStaysIntact() throws Exception {
    Path work = workDir();
    OutboundLedger ledger = OutboundLedger.open(work);
    ledger.record(false, WireJson.write(new AgentMessage.RoundFailed(STUDY, 4, "stop")).getBytes(StandardCharsets.UTF_8));

    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertTrue(v.intact(), v.problem());
    assertEquals(9, v.lines());
    assertEquals(HEAD, v.entries().get(8).prev());
  }

  @Test void dureAgentOutboundSaysTheChainIsIntact() throws Exception {
    Path work = workDir();
    Path config = dir.resolve("agent.json");
    Files.writeString(config, "{\"siteId\": \"site-a\", \"coordinator\": \"wss://127.0.0.1:8471/agents\","
        + " \"data\": {\"csv\": \"x.csv\"}, \"workDir\": \"" + work + "\"}");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = new CommandLine(new OutboundCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute("--config", config.toString());

    assertEquals(0, code, err.toString());
    assertTrue(out.toString().contains("chain intact: 8 lines, head " + HEAD), out.toString());
  }
}
