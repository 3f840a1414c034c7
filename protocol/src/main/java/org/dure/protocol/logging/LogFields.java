package org.dure.protocol.logging;

import org.slf4j.Logger;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;
import org.slf4j.event.Level;

/**
 * The structured fields of Dure's log lines, as SLF4J MDC entries (Logback's JSON encoder writes them under
 * {@code "mdc"}; docs/guide-administrators.md, "Operations"): {@value #STUDY}, {@value #ROUND} and {@value #SITE} while a study message is
 * handled, and {@value #EVENT}, a stable name, on every security-relevant event, which also carries the
 * {@link #SECURITY} marker and is logged by the {@value #SECURITY_LOGGER} logger. Field values are ids, round numbers
 * and event names only: never a token, key, secret or data value.
 */
public final class LogFields {
  public static final String STUDY = "study";
  public static final String ROUND = "round";
  public static final String SITE = "site";
  public static final String EVENT = "event";
  /** The marker of every security-relevant event ({@code "markers": ["SECURITY"]} in JSON lines). */
  public static final Marker SECURITY = MarkerFactory.getMarker("SECURITY");
  /** The logger that security events are logged with, so that a SIEM (or a logback filter) can select them. */
  public static final String SECURITY_LOGGER = "dure.security";

  private LogFields() {}

  /** MDC entries set for a block and put back as they were when it closes. */
  public static final class Scope implements AutoCloseable {
    private final String[] keys;
    private final String[] previous;

    private Scope(String[] keys, String[] values) {
      this.keys = keys;
      this.previous = new String[keys.length];
      for (int i = 0; i < keys.length; i++) {
        previous[i] = MDC.get(keys[i]);
        if (values[i] != null) MDC.put(keys[i], values[i]);
      }
    }

    @Override public void close() {
      for (int i = 0; i < keys.length; i++) {
        if (previous[i] == null) MDC.remove(keys[i]);
        else MDC.put(keys[i], previous[i]);
      }
    }
  }

  /** Sets {@code study}, {@code round} and {@code site} (each only when not null) until the scope closes. */
  public static Scope scope(String study, Integer round, String site) {
    return new Scope(new String[] {STUDY, ROUND, SITE},
        new String[] {study, round == null || round < 0 ? null : String.valueOf(round), site});
  }

  /**
   * Logs a security-relevant event on {@code log} with the stable name {@code event} (in the MDC as {@value #EVENT})
   * and the {@link #SECURITY} marker. {@code fields} are set for this line only (study, round, site; may be null).
   */
  public static void security(Logger log, Level level, String event, String study, String site, String format,
                              Object... args) {
    try (Scope s = new Scope(new String[] {EVENT, STUDY, SITE}, new String[] {event, study, site})) {
      log.atLevel(level).addMarker(SECURITY).log(format, args);
    }
  }
}
