package org.dure.agent.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.Frames;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboundLedgerTest {
  @TempDir Path dir;
  final UUID study = UUID.fromString("75c6c45a-883b-4a75-a956-9b6fe1786cac");

  private static byte[] json(AgentMessage m) {
    return WireJson.write(m).getBytes(StandardCharsets.UTF_8);
  }

  /** Records hello, a JSON message with study and round, and a signed-looking update frame; returns the payloads. */
  private List<byte[]> recordThree(OutboundLedger ledger) throws Exception {
    List<byte[]> sent = new ArrayList<>();
    sent.add(json(new AgentMessage.Hello("0.1.0", 0L)));
    sent.add(json(new AgentMessage.RoundFailed(study.toString(), 4, "out of memory")));
    sent.add(Frames.encode(Frames.Kind.SITE_UPDATE, study, 5, 4, 120, 0.5f, new float[] {1, 2, 3}));
    ledger.record(false, sent.get(0));
    ledger.record(false, sent.get(1));
    ledger.record(true, sent.get(2));
    return sent;
  }

  @Test void eachMessageIsOneOwnerOnlyLineWithStudyRoundKindSizeAndHashOfTheExactBytes() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(dir);
    List<byte[]> sent = recordThree(ledger);

    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ledger.file())));
    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertTrue(v.intact(), v.problem());
    assertEquals(3, v.lines());
    List<OutboundEntry> e = v.entries();
    assertEquals("hello", e.get(0).kind());
    assertNull(e.get(0).study());
    assertEquals("round-failed", e.get(1).kind());
    assertEquals(study.toString(), e.get(1).study());
    assertEquals(4, e.get(1).round());
    assertEquals("site-update", e.get(2).kind());
    assertEquals(5, e.get(2).round());
    for (int i = 0; i < 3; i++) {
      assertEquals(sent.get(i).length, e.get(i).bytes());
      assertEquals(OutboundLedger.sha256Hex(sent.get(i)), e.get(i).sha256());
      assertEquals(i + 1, e.get(i).line());
    }
    assertEquals(OutboundLedger.GENESIS, e.get(0).prev());
  }

  @Test void aFlippedByteIsNamedByItsLine() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(dir);
    recordThree(ledger);
    List<String> lines = Files.readAllLines(ledger.file());
    lines.set(1, lines.get(1).replace("\"round\":4", "\"round\":5"));
    Files.write(ledger.file(), lines);

    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertEquals(2, v.firstBadLine());
    assertTrue(v.problem().contains("line 2 was changed"), v.problem());
  }

  @Test void aDeletedLineBreaksTheChainWhereItWas() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(dir);
    recordThree(ledger);
    List<String> lines = new ArrayList<>(Files.readAllLines(ledger.file()));
    lines.remove(1);
    Files.write(ledger.file(), lines);

    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertEquals(2, v.firstBadLine());
    assertTrue(v.problem().contains("does not chain to line 1"), v.problem());
  }

  @Test void aLineCutShortIsDetectedAndTheNextAppendStillChains() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(dir);
    recordThree(ledger);
    byte[] all = Files.readAllBytes(ledger.file());
    Files.write(ledger.file(), java.util.Arrays.copyOf(all, all.length - 20));

    OutboundReader.Verification cut = OutboundReader.read(ledger.file());
    assertEquals(3, cut.firstBadLine());
    assertTrue(cut.problem().contains("cut short"), cut.problem());

    OutboundLedger.open(dir).record(false, json(new AgentMessage.Hello("0.1.0", 0L)));
    OutboundReader.Verification after = OutboundReader.read(ledger.file());
    assertEquals(4, after.lines());
    assertEquals(3, after.firstBadLine(), "the cut line stays visible as broken");
    assertTrue(after.problem().contains("line 3 is not a ledger entry"), after.problem());
  }

  @Test void twoWritersOnOneFileBothChainToTheLastLineInTheFile() throws Exception {
    OutboundLedger agent = OutboundLedger.open(dir), doctor = OutboundLedger.open(dir);
    agent.record(false, json(new AgentMessage.Hello("0.1.0", 0L)));
    doctor.record(false, json(new AgentMessage.Hello("0.1.0", 0L)));
    agent.record(false, json(new AgentMessage.StudyDeclined(study.toString(), "no columns")));

    OutboundReader.Verification v = OutboundReader.read(agent.file());
    assertTrue(v.intact(), v.problem());
    assertEquals(3, v.lines());
  }

  @Test void totalsCountMessagesAndBytesPerStudyAndKind() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(dir);
    List<byte[]> sent = recordThree(ledger);

    OutboundTotals t = OutboundTotals.of(OutboundReader.read(ledger.file()).entries());
    assertEquals(1, t.studies().get(OutboundTotals.NO_STUDY).all().messages());
    OutboundTotals.Study s = t.studies().get(study.toString());
    assertEquals(2, s.all().messages());
    assertEquals(sent.get(1).length + sent.get(2).length, s.all().bytes());
    assertEquals(sent.get(2).length, s.byKind().get("site-update").bytes());
  }

  @Test void aMissingLedgerIsEmptyAndIntact() throws Exception {
    OutboundReader.Verification v = OutboundReader.read(dir.resolve("none.log"));
    assertTrue(v.intact());
    assertEquals(0, v.lines());
    assertFalse(v.entries().iterator().hasNext());
  }

  @Test void theFiltersAMessageWentThroughAreInItsLineAndCoveredByItsHash() throws Exception {
    OutboundLedger ledger = OutboundLedger.open(dir);
    ledger.record(true, Frames.encode(Frames.Kind.SITE_UPDATE, study, 5, 4, 120, 0.5f, new float[] {1, 2, 3}),
        List.of("approval", "budget", "clip-noise", "secure-aggregation"));

    OutboundReader.Verification v = OutboundReader.read(ledger.file());
    assertTrue(v.intact(), v.problem());
    assertEquals(List.of("approval", "budget", "clip-noise", "secure-aggregation"), v.entries().get(0).filters());
    List<String> lines = Files.readAllLines(ledger.file());
    Files.write(ledger.file(), List.of(lines.get(0).replace("\"budget\",", "")));
    OutboundReader.Verification changed = OutboundReader.read(ledger.file());
    assertEquals(1, changed.firstBadLine());
    assertTrue(changed.problem().contains("line 1 was changed"), changed.problem());
  }
}
