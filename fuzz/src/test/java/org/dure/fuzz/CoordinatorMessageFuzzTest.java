package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.dure.protocol.wire.CoordinatorMessage;
import org.dure.protocol.wire.WireJson;
import org.junit.jupiter.api.Tag;

/** Every JSON text message a site agent accepts from the coordinator ({@code CoordinatorLink} reads them with this). */
@Tag("fuzz")
class CoordinatorMessageFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void readCoordinator(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    CoordinatorMessage m = refusesOnlyWith(text, () -> WireJson.readCoordinator(text), IllegalArgumentException.class);
    if (m == null) return;
    // what was accepted can be written and reads back to the same message
    String written = WireJson.write(m);
    CoordinatorMessage again = refusesOnlyWith(written, () -> WireJson.readCoordinator(written), IllegalArgumentException.class);
    check(again != null, "an accepted message, written back, is refused: " + written);
    check(WireJson.write(again).equals(written), "an accepted message does not survive a round trip: " + written);
  }
}
