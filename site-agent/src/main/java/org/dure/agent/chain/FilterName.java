package org.dure.agent.chain;

/** The site's privacy filters, in the order every outbound message passes them, with the names the ledger records. */
public enum FilterName {
  /** The data officer's local policy: its rules for a study, and whether per-site metrics may leave. */
  POLICY("policy"),
  /** The officer's decisions: only an approved study's data leaves, nothing at all after a withdrawal. */
  APPROVAL("approval"),
  /** The privacy budget: a contribution leaves only with its round's ε recorded on disk and within the caps. */
  BUDGET("budget"),
  /** Clipping and noise: a contribution leaves only clipped and noised as the approved study says. */
  CLIP_NOISE("clip-noise"),
  /** Secure aggregation: a secure study's contribution leaves only masked; a plain study's never as secure rounds. */
  SECURE_AGGREGATION("secure-aggregation"),
  /** The outbound ledger: the exact bytes are recorded and synced to disk before they are sent. */
  OUTBOUND_LEDGER("outbound-ledger");

  private final String wire;

  FilterName(String wire) {
    this.wire = wire;
  }

  /** The name in the outbound ledger's {@code filters} and in {@code dure agent studies}. */
  public String wire() {
    return wire;
  }
}
