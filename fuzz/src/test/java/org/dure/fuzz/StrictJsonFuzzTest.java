package org.dure.fuzz;

import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.dure.json.StrictJson;
import org.junit.jupiter.api.Tag;

/** The strict JSON reader under API bodies, agent configs and policies. */
@Tag("fuzz")
class StrictJsonFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void read(byte[] bytes) {
    String json = new String(bytes, StandardCharsets.UTF_8);
    refusesOnlyWith(json, () -> StrictJson.read(json), StrictJson.MalformedJsonException.class);
  }
}
