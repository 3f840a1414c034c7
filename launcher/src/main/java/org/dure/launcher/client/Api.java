package org.dure.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The coordinator's HTTPS API as the researcher commands call it: bearer token on every request, JSON in and
 * out, and every failure turned into an {@link ApiException} with its exit code (401/403 → 4, 404 → 5,
 * 400 → 6, no answer → 3). The token is never printed.
 */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();
  private final URI base;
  private final String token;
  private final HttpClient http;

  Api(URI base, String token, SSLContext tls) {
    this.base = base;
    this.token = token;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (tls != null) b.sslContext(tls);
    this.http = b.build();
  }

  JsonNode get(String path) throws ApiException {
    return json(path, send("GET", path, null, HttpResponse.BodyHandlers.ofByteArray()));
  }

  JsonNode post(String path, String body) throws ApiException {
    return json(path, send("POST", path, body, HttpResponse.BodyHandlers.ofByteArray()));
  }

  byte[] bytes(String path) throws ApiException {
    return send("GET", path, null, HttpResponse.BodyHandlers.ofByteArray());
  }

  private byte[] send(String method, String path, String body, HttpResponse.BodyHandler<byte[]> handler) throws ApiException {
    URI uri = base.resolve(path);
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token).header("Accept", "application/json");
    if (body != null) req.header("Content-Type", "application/json");
    req.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<byte[]> r;
    try {
      r = http.send(req.build(), handler);
    } catch (SSLException e) {
      throw new ApiException(Exit.CONNECTION, 0, null, "TLS with " + base + " failed (" + e.getMessage() + "); check that --ca"
          + " names the consortium CA certificate (ca-cert.pem from your administrator) and that the URL's host is"
          + " the one in the coordinator's certificate", e);
    } catch (ConnectException e) {
      throw new ApiException(Exit.CONNECTION, 0, null, "cannot connect to " + base + " (" + (e.getMessage() == null
          ? "connection refused" : e.getMessage()) + "); check the URL and that the coordinator is running", e);
    } catch (HttpTimeoutException e) {
      throw new ApiException(Exit.CONNECTION, 0, null, "no answer from " + base + " within the timeout (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new ApiException(Exit.CONNECTION, 0, null, "connection to " + base + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(Exit.CONNECTION, 0, null, "interrupted while calling " + base, e);
    }
    if (r.statusCode() / 100 == 2) return r.body();
    String error = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
    String field = null;
    try {
      JsonNode n = JSON.readTree(error);
      if (n != null && n.path("error").isTextual()) {
        field = n.path("field").isTextual() ? n.path("field").asText() : null;
        error = withoutField(n.path("error").asText(), field);
      }
    } catch (IOException notJson) {
      // keep the body as it came
    }
    int exit = switch (r.statusCode()) {
      case 400 -> Exit.INVALID_STUDY;
      case 401, 403 -> Exit.AUTH;
      case 404 -> Exit.NOT_FOUND;
      default -> Exit.STUDY_NOT_COMPLETED;
    };
    String prefix = switch (r.statusCode()) {
      case 401 -> "not authenticated (401): ";
      case 403 -> "not allowed (403): ";
      case 404 -> "not found (404): ";
      case 400 -> field == null || field.equals("$") ? "rejected (400): " : "invalid, field " + field + " (400): ";
      default -> method + " " + path + " answered " + r.statusCode() + ": ";
    };
    throw new ApiException(exit, r.statusCode(), field, prefix + error, null);
  }

  /**
   * The coordinator's error without the field it already names ({@code "minSites: must be ..."} with field {@code
   * minSites} is {@code "must be ..."}), so that a message naming the field names it once.
   */
  static String withoutField(String error, String field) {
    if (field == null || field.isEmpty()) return error;
    String prefix = field + ": ";
    return error.startsWith(prefix) ? error.substring(prefix.length()) : error;
  }

  private static JsonNode json(String path, byte[] body) throws ApiException {
    try {
      return body.length == 0 ? JSON.nullNode() : JSON.readTree(body);
    } catch (IOException e) {
      throw new ApiException(Exit.CONNECTION, 200, null, "the answer to " + path + " is not JSON: " + e.getMessage(), e);
    }
  }
}
