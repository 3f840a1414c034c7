package org.dure.agent.connection;

import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The hospital's outbound HTTP proxy, through which the agent reaches the coordinator with HTTP {@code CONNECT}: the
 * proxy only relays the TLS bytes, so mutual TLS runs end to end between the agent and the coordinator and the proxy
 * sees neither the site's messages nor its key.
 *
 * <p>Taken from the agent configuration ({@code "proxy": {"url": ..., "username": ..., "passwordFile": ...,
 * "noProxy": ...}}, or {@code "proxy": "none"} for a direct connection whatever the environment says) or, when the
 * configuration has no {@code "proxy"}, from the environment variables {@code HTTPS_PROXY} (or {@code https_proxy})
 * and {@code NO_PROXY} (or {@code no_proxy}) as curl and most tools read them (a proxy from the environment is not
 * used for {@code localhost}, {@code 127.0.0.1} or {@code ::1}; one in the configuration obeys its {@code noProxy} only).
 *
 * @param host the proxy's host name or address
 * @param port its port
 * @param username for proxy basic authentication, or null
 * @param password for proxy basic authentication, or null (never logged: {@link #toString()} leaves it out)
 * @param noProxy hosts reached directly: {@code *} (all), an exact host or address, or a domain ({@code
 *     example.org} or {@code .example.org}: it and every host under it), each optionally with {@code :port}
 * @param source where the settings came from, for messages (e.g. {@code "HTTPS_PROXY"}, {@code "agent.json"})
 */
public record ProxySettings(String host, int port, String username, String password, List<String> noProxy, String source) {
  /** Hosts a proxy from the environment is never used for. */
  static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "::1");
  public static final String ENV = "HTTPS_PROXY", ENV_LOWER = "https_proxy", NO_PROXY = "NO_PROXY", NO_PROXY_LOWER = "no_proxy";

  public ProxySettings {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) throw new IllegalArgumentException("the proxy host is empty");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("the proxy port must be 1..65535, was " + port);
    if ((username == null) != (password == null))
      throw new IllegalArgumentException("proxy authentication needs both a user name and a password");
    noProxy = noProxy == null ? List.of() : List.copyOf(noProxy);
    source = source == null ? "configuration" : source;
  }

  /**
   * The proxy named by {@code HTTPS_PROXY}/{@code https_proxy} in {@code env} (with {@code NO_PROXY}/{@code
   * no_proxy}), or null when neither is set (a direct connection).
   *
   * @throws IllegalArgumentException naming the variable when its value is not a usable proxy URL
   */
  public static ProxySettings fromEnvironment(Map<String, String> env) {
    String name = ENV;
    String url = env.get(ENV);
    if (url == null || url.isBlank()) {
      name = ENV_LOWER;
      url = env.get(ENV_LOWER);
    }
    if (url == null || url.isBlank()) return null;
    String noProxy = env.get(NO_PROXY);
    if (noProxy == null) noProxy = env.get(NO_PROXY_LOWER);
    // As Go's and several other clients do: a proxy from the environment is never asked for this machine's own
    // loopback addresses, which it could not reach (a coordinator rehearsed on the same host).
    List<String> bypass = new ArrayList<>(noProxyList(noProxy));
    bypass.addAll(LOOPBACK);
    try {
      return parse(url, null, null, bypass, name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the environment variable " + name + " (" + redact(url) + "): " + e.getMessage(), e);
    }
  }

  /**
   * Parses a proxy URL such as {@code http://proxy.hospital.local:3128} or {@code http://user:pass@proxy:3128}
   * (user and password percent-encoded); a URL without a scheme is taken as {@code http://}. Explicit {@code username}
   * and {@code password} override those in the URL.
   */
  public static ProxySettings parse(String url, String username, String password, List<String> noProxy, String source) {
    String u = url.trim();
    if (!u.contains("://")) u = "http://" + u;
    URI uri;
    try {
      uri = new URI(u);
    } catch (URISyntaxException e) {
      // the reason and position only: the input may hold a password
      throw new IllegalArgumentException("not a URL like http://proxy.hospital.local:3128 (" + e.getReason()
          + (e.getIndex() >= 0 ? " at character " + (e.getIndex() + 1) : "") + ")");
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("https"))
      throw new IllegalArgumentException("a proxy reached over TLS (https://) is not supported; the agent speaks plain"
          + " HTTP CONNECT to the proxy, as most hospital proxies expect on their port (e.g. http://proxy:3128), and"
          + " runs its own mutual TLS to the coordinator inside the tunnel");
    if (!scheme.equals("http"))
      throw new IllegalArgumentException("scheme " + scheme + ":// is not supported; give the HTTP proxy as http://host:port");
    if (uri.getHost() == null) throw new IllegalArgumentException("it names no proxy host (expected http://host:port)");
    int port = uri.getPort() == -1 ? 80 : uri.getPort();
    String user = username, pass = password;
    if (user == null && uri.getRawUserInfo() != null) {
      String info = uri.getRawUserInfo();
      int colon = info.indexOf(':');
      user = URLDecoder.decode(colon < 0 ? info : info.substring(0, colon), StandardCharsets.UTF_8);
      pass = colon < 0 ? "" : URLDecoder.decode(info.substring(colon + 1), StandardCharsets.UTF_8);
    }
    return new ProxySettings(uri.getHost(), port, user, pass, noProxy, source);
  }

  /** A {@code NO_PROXY} value (comma- or space-separated) as a list; null or blank gives an empty list. */
  public static List<String> noProxyList(String value) {
    List<String> out = new ArrayList<>();
    if (value == null) return out;
    for (String s : value.split("[,\\s]+")) if (!s.isBlank()) out.add(s.trim());
    return out;
  }

  /** Whether a connection to {@code uri} goes through this proxy (false when {@code NO_PROXY} names its host). */
  public boolean appliesTo(URI uri) {
    String host = uri.getHost() == null ? "" : stripBrackets(uri.getHost()).toLowerCase(Locale.ROOT);
    int port = uri.getPort() == -1 ? 443 : uri.getPort();
    for (String entry : noProxy) {
      String e = entry.toLowerCase(Locale.ROOT);
      if (e.equals("*")) return false;
      int entryPort = -1;
      int colon = e.lastIndexOf(':');
      if (colon > 0 && e.indexOf(':') == colon && e.substring(colon + 1).chars().allMatch(Character::isDigit)) {
        entryPort = Integer.parseInt(e.substring(colon + 1));
        e = e.substring(0, colon);
      }
      e = stripBrackets(e);
      if (entryPort != -1 && entryPort != port) continue;
      String domain = e.startsWith("*.") ? e.substring(2) : e.startsWith(".") ? e.substring(1) : e;
      if (host.equals(domain) || host.endsWith("." + domain)) return false;
    }
    return true;
  }

  private static String stripBrackets(String h) {
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }

  /** The Vert.x options for an HTTP CONNECT tunnel through this proxy. */
  public ProxyOptions vertx() {
    ProxyOptions o = new ProxyOptions().setType(ProxyType.HTTP).setHost(host).setPort(port);
    if (username != null) o.setUsername(username).setPassword(password);
    return o;
  }

  /** {@code http://host:port} (with {@code user@} when authenticating; never the password). */
  public String describe() {
    return "http://" + (username != null ? username + "@" : "") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override public String toString() {
    return "proxy " + describe() + " (from " + source + (noProxy.isEmpty() ? "" : ", not for " + String.join(",", noProxy)) + ")";
  }

  /** A proxy URL with any password replaced by {@code ***}, for messages. */
  static String redact(String url) {
    return url.replaceAll("^(\\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^:/@]*:)[^@/]*@", "$1***@");
  }
}
