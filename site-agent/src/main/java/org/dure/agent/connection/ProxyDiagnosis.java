package org.dure.agent.connection;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Turns the failure of a connection through an HTTP proxy into plain words for the hospital's IT staff. */
public final class ProxyDiagnosis {
  private static final Pattern STATUS = Pattern.compile("status: (\\d{3})([^,]*)");

  private ProxyDiagnosis() {}

  /** What went wrong with the proxy, or null when the failure is not the proxy's (it got past the proxy). */
  public static String explain(Throwable failure, ProxySettings proxy) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      Matcher status = STATUS.matcher(m);
      if (status.find()) return refused(Integer.parseInt(status.group(1)), status.group(2).trim(), proxy);
      String type = t.getClass().getName();
      if (type.contains("ProxyConnectException") && m.contains("timeout"))
        return "the proxy " + proxy.describe() + " accepted the connection but did not answer the CONNECT request in time";
      if (t instanceof java.net.ConnectException || type.contains("AnnotatedConnectException")
          || t instanceof java.net.UnknownHostException || type.contains("ConnectTimeoutException")) {
        if (m.contains(proxy.host()) || m.contains(":" + proxy.port()) || t instanceof java.net.UnknownHostException)
          return unreachable(proxy, m);
      }
    }
    return null;
  }

  /** The proxy cannot be reached at all (refused, no route, unknown host). */
  public static String unreachable(ProxySettings proxy, String detail) {
    return "the proxy " + proxy.describe() + " (from " + proxy.source() + ") is unreachable (" + detail + ")";
  }

  /** The proxy answered the CONNECT request with {@code status} (not 2xx). */
  public static String refused(int status, String reason, ProxySettings proxy) {
    String head = "the proxy " + proxy.describe() + " (from " + proxy.source() + ") refused to connect to the coordinator: "
        + status + (reason.isEmpty() ? "" : " " + reason);
    return switch (status) {
      case 401, 407 -> head + " (proxy authentication required" + (proxy.username() == null ? ": no proxy user name and password are configured"
          : ": the user name or password for user '" + proxy.username() + "' was not accepted") + ")";
      case 403 -> head + " (forbidden: the proxy's rules do not allow CONNECT to the coordinator's host and port)";
      case 502, 503, 504 -> head + " (the proxy could not reach the coordinator itself)";
      default -> head;
    };
  }

  /** What to do about a proxy problem, for {@code dure agent doctor}. */
  public static String fix(int status, ProxySettings proxy) {
    return switch (status) {
      case 401, 407 -> "set the proxy user in \"proxy\".\"username\" and its password in the file named by \"proxy\".\"passwordFile\""
          + " (or http://user:password@host:port in HTTPS_PROXY), as the hospital's network team issued them";
      case 403 -> "ask the hospital's network team to allow HTTP CONNECT from this server to the coordinator's host and port"
          + " (the agent needs no inbound port, only this one outbound tunnel)";
      case 502, 503, 504 -> "check with the hospital's network team that the proxy can reach the coordinator's host and port";
      case -1 -> "check the proxy's host and port (" + proxy.source() + ") and that this server may reach it; ask the hospital's network team";
      default -> "ask the hospital's network team why the proxy refuses CONNECT to the coordinator";
    };
  }
}
