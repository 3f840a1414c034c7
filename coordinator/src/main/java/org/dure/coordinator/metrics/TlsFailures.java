package org.dure.coordinator.metrics;

import java.security.cert.CertificateException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.dure.crypto.pki.SiteCertificateException;

/** The {@code reason} label of a failed TLS handshake: a certificate refusal's reason, or what kind of failure. */
public final class TlsFailures {
  /** The reasons other than a site certificate's refusal reason. */
  public static final java.util.List<String> KINDS = java.util.List.of("no_certificate", "certificate_refused", "timeout",
      "protocol_version", "not_tls", "handshake_error", "other");

  private TlsFailures() {}

  /**
   * A site certificate's refusal reason in lower case ({@code not_enrolled}, {@code revoked}, ...), else
   * {@code no_certificate}, {@code certificate_refused}, {@code timeout}, {@code protocol_version}, {@code not_tls},
   * {@code handshake_error} or {@code other}.
   */
  public static String reason(Throwable failure) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Throwable> todo = new ArrayDeque<>();
    todo.add(failure);
    boolean certificate = false, handshake = false, tls = false, timeout = false, noCert = false, version = false, notTls = false;
    while (!todo.isEmpty() && seen.size() < 32) {
      Throwable t = todo.poll();
      if (t == null || !seen.add(t)) continue;
      if (t instanceof SiteCertificateException s) return s.reason().name().toLowerCase(Locale.ROOT);
      String name = t.getClass().getSimpleName();
      String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (t instanceof CertificateException) certificate = true;
      if (t instanceof SSLHandshakeException) handshake = true;
      if (t instanceof SSLException) tls = true;
      if (name.contains("Timeout") || message.contains("timed out")) timeout = true;
      if (message.contains("empty client certificate") || message.contains("certificate_required")) noCert = true;
      if (message.contains("protocol_version") || message.contains("protocol is disabled")
          || message.contains("no appropriate protocol") || message.contains("unsupported protocol")) version = true;
      if (name.equals("NotSslRecordException") || message.contains("not an ssl/tls record")) notTls = true;
      if (t.getCause() != null) todo.add(t.getCause());
      Collections.addAll(todo, t.getSuppressed());
    }
    if (noCert) return "no_certificate";
    if (certificate) return "certificate_refused";
    if (timeout) return "timeout";
    if (version) return "protocol_version";
    if (notTls) return "not_tls";
    if (handshake || tls) return "handshake_error";
    return "other";
  }
}
