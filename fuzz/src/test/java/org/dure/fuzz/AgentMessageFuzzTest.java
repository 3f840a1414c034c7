package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.dure.protocol.wire.AgentMessage;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Tag;

/** Every JSON text message the coordinator accepts from a site agent ({@code SiteRegistry} reads them with this). */
@Tag("fuzz")
class AgentMessageFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void readAgent(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    AgentMessage m = refusesOnlyWith(text, () -> WireJson.readAgent(text), IllegalArgumentException.class);
    if (m == null) return;
    AgentMessage.studyIdOf(m);
    // what was accepted can be written and reads back to the same message
    String written = WireJson.write(m);
    AgentMessage again = refusesOnlyWith(written, () -> WireJson.readAgent(written), IllegalArgumentException.class);
    check(again != null, "an accepted message, written back, is refused: " + written);
    check(WireJson.write(again).equals(written), "an accepted message does not survive a round trip: " + written);
  }
}
