package org.dure.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the {@code dure agent ...} commands report a failure: one plain sentence on standard error (the message, which
 * names the file, field or column), never a stack trace; the stack trace goes to the log at debug level.
 */
public final class AgentCli {
  private static final Logger log = LoggerFactory.getLogger(AgentCli.class);

  private AgentCli() {}

  /** The failure's message on one line (its first line; the class name when it has none). */
  public static String message(Throwable e) {
    Throwable t = e instanceof java.io.UncheckedIOException && e.getCause() != null ? e.getCause() : e;
    String m = t.getMessage();
    if (m == null || m.isBlank()) return t.getClass().getSimpleName();
    return m.lines().findFirst().orElse(m).strip();
  }

  /** The stack trace, for a data officer who runs with debug logging. */
  public static void debug(String command, Throwable e) {
    log.debug("{} failed", command, e);
  }
}
