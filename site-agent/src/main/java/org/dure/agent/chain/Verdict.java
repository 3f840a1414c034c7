package org.dure.agent.chain;

/** What one privacy filter decided about one outgoing message. */
public sealed interface Verdict permits Verdict.Passed, Verdict.NotApplicable, Verdict.Refused {
  /** The filter checked the message and lets it (or the rewritten message it returns) go on; the ledger names it. */
  record Passed(Outgoing message) implements Verdict {}

  /** The filter has nothing to check on this kind of message (it goes on; the ledger does not name the filter). */
  record NotApplicable() implements Verdict {}

  /**
   * The filter stops the message: nothing is sent. {@code routine} marks an expected stop (a withdrawn study's
   * messages), logged at info; any other refusal is logged as a warning.
   */
  record Refused(String reason, boolean routine) implements Verdict {
    Refused(String reason) {
      this(reason, false);
    }
  }

  static Verdict passed(Outgoing m) {
    return new Passed(m);
  }

  static Verdict notApplicable() {
    return new NotApplicable();
  }
}
