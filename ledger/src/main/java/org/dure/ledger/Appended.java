package org.dure.ledger;

import java.util.Objects;

/**
 * An entry that is on disk: written and synced ({@code FileChannel.force}) before this was returned.
 *
 * @param entry the entry as logged and signed
 * @param index its index in the log, the same as {@code entry.index()}
 */
public record Appended(LedgerEntry entry, long index) {
  public Appended {
    Objects.requireNonNull(entry, "entry");
    if (index != entry.index()) {
      throw new IllegalArgumentException("index " + index + " differs from the entry's index " + entry.index());
    }
  }
}
