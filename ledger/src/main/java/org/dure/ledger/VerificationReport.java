package org.dure.ledger;

/**
 * The outcome of {@link LogVerifier#verify}.
 *
 * @param ok whether every entry and every published tree head checked out
 * @param entriesChecked entries verified before the first problem (all of them when ok)
 * @param treeHeadsChecked published tree heads whose signature (and, where the entries allowed, root) was checked
 * @param firstBadIndex index of the first entry that is wrong or missing, or -1 (when ok, or when the only problem
 *     is in a tree head's own line)
 * @param problem one sentence naming the bad entry (or tree head) and what is wrong with it; null when ok
 */
public record VerificationReport(boolean ok, long entriesChecked, long treeHeadsChecked, long firstBadIndex,
    String problem) {
  public VerificationReport {
    if (ok != (problem == null)) throw new IllegalArgumentException("a report has a problem exactly when it is not ok");
    if (ok && firstBadIndex != -1) throw new IllegalArgumentException("an ok report has firstBadIndex -1");
  }
}
