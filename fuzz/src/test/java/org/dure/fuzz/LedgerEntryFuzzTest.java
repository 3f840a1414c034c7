package org.dure.fuzz;

import static org.dure.fuzz.Contract.check;
import static org.dure.fuzz.Contract.refusesOnlyWith;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.dure.ledger.LedgerEntry;
import org.junit.jupiter.api.Tag;

/** The ledger line parser: every line of {@code entries.jsonl} at start and in {@code dure ledger verify}, every receipt a site checks. */
@Tag("fuzz")
class LedgerEntryFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void parse(byte[] line) {
    String text = new String(line, StandardCharsets.UTF_8);
    LedgerEntry entry = refusesOnlyWith(text, () -> LedgerEntry.parse(line), IllegalArgumentException.class);
    if (entry == null) return;
    check(Arrays.equals(entry.canonicalBytes(), line), "an accepted entry is not its own canonical form");
    // the longest line the log reads back at start (LedgerEntry.MAX_LINE_BYTES): an entry accepted here must fit it
    check(line.length <= LedgerEntry.MAX_DETAILS_BYTES + 4096, "an accepted entry of " + line.length + " bytes");
    LedgerEntry again = refusesOnlyWith(text, () -> LedgerEntry.parse(entry.toJson()), IllegalArgumentException.class);
    check(entry.equals(again), "an accepted entry does not read back from its JSON");
  }
}
