package org.dure.agent.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An outbound ledger written by an earlier version of the agent (the committed fixture) still reads and verifies. */
class OutboundLedgerCompatibilityTest {
  /** Written by the agent before entries recorded the privacy filters a message went through. */
  static final String FIXTURE = "/outbound/outbound-before-filters.log";
  static final String HEAD = "53605fae47f6a02f401d1184558654e32b080cc0fe66c62a4c9c06fe323a90da";

  @TempDir Path dir;

  private Path copyFixture() throws Exception {
    Path file = dir.resolve(OutboundLedger.FILE);
    try (InputStream in = OutboundLedgerCompatibilityTest.class.getResourceAsStream(FIXTURE)) {
      Files.copy(in, file);
    }
    return file;
  }

  @Test void aLedgerWrittenBeforeTheChangeStillReadsAndVerifies() throws Exception {
    OutboundReader.Verification v = OutboundReader.read(copyFixture());

    assertTrue(v.intact(), v.problem());
    assertEquals(4, v.lines());
    assertEquals(HEAD, v.head());
    List<OutboundEntry> e = v.entries();
    assertEquals(List.of("hello", "study-accepted", "round-failed", "site-update"), e.stream().map(OutboundEntry::kind).toList());
    assertNull(e.get(0).study());
    assertEquals(5, e.get(3).round());
    assertEquals(60, e.get(3).bytes());
  }

  @Test void theCurrentAgentAppendsToALedgerWrittenBeforeTheChangeAndTheChainStaysIntact() throws Exception {
    copyFixture();
    OutboundLedger ledger = OutboundLedger.open(dir);

    ledger.record(false, WireJson.write(new AgentMessage.RoundFailed("75c6c45a-883b-4a75-a956-9b6fe1786cac", 6, "stop"))
        .getBytes(StandardCharsets.UTF_8));

    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertTrue(v.intact(), v.problem());
    assertEquals(5, v.lines());
    assertEquals(HEAD, v.entries().get(4).prev());
  }
}
