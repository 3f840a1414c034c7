package org.dure.coordinator.security;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.dure.crypto.pki.SiteCertificateException;

/**
 * The most recent refused site connections, for the administrator ({@code GET /api/sites/refusals}) and
 * for tests: who tried, when, from where, and why they were turned away. Thread-safe (TLS handshakes run on
 * event-loop threads).
 */
public final class Refusals {
  static final int KEEP = 200;

  /** One refused connection attempt. */
  public record Refusal(Instant at, String remoteAddress, String subject, SiteCertificateException.Reason reason,
                        String message) {}

  private final Deque<Refusal> recent = new ArrayDeque<>();

  synchronized void add(Refusal r) {
    if (recent.size() == KEEP) recent.removeFirst();
    recent.addLast(r);
  }

  /** Oldest first. */
  public synchronized List<Refusal> recent() {
    return List.copyOf(recent);
  }
}
