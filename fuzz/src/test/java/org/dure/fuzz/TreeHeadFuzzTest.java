package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.dure.ledger.SignedTreeHead;
import org.junit.jupiter.api.Tag;

/** The signed tree head parser: every line of {@code tree-heads.jsonl}, every head a site receives in a receipt. */
@Tag("fuzz")
class TreeHeadFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void parse(byte[] bytes) {
    String json = new String(bytes, StandardCharsets.UTF_8);
    SignedTreeHead head = refusesOnlyWith(json, () -> SignedTreeHead.parse(json), IllegalArgumentException.class);
    if (head == null) return;
    check(head.toJson().equals(json), "an accepted tree head is not its own canonical form");
    check(head.size() >= 0, "negative tree size");
  }
}
