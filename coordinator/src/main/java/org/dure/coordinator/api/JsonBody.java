package org.dure.coordinator.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an API request's body as raw bytes, at most {@link StudyApi#MAX_BODY} of them, for the JSON endpoints.
 *
 * <p>The body is never decoded as a form: {@code curl -d @study.json} sends {@code Content-Type:
 * application/x-www-form-urlencoded}, and a form decoder refuses a "field" over 1 KB — which the whole JSON
 * document is — with an exception instead of an answer. So a body is accepted as JSON when its content type is
 * absent, {@code application/json} (or {@code application/*+json}), {@code text/plain} or
 * {@code application/x-www-form-urlencoded}; any other type (a multipart upload, CSV, ...) gets 415. A body over
 * the limit gets 413 — at once when {@code Content-Length} says so — and what is left of it is read and dropped,
 * up to {@value #DISCARD_MAX} bytes, after which the connection is closed.
 */
final class JsonBody {
  private static final Logger log = LoggerFactory.getLogger(JsonBody.class);
  private static final String KEY = "dure.body";
  /** After a 413, bytes read and dropped before the connection is closed instead. */
  static final long DISCARD_MAX = 16L * 1024 * 1024;

  private JsonBody() {}

  /** The handler that reads the body (for every {@code /api} request; most have none). */
  static Handler<RoutingContext> reader(int limit) {
    return rc -> {
      HttpServerRequest req = rc.request();
      String type = req.getHeader("Content-Type");
      long declared = contentLength(req);
      boolean hasBody = declared > 0 || (declared < 0 && req.headers().contains("Transfer-Encoding"));
      if (hasBody && !acceptable(type)) {
        refuse(rc, req, new ApiError(415, "unsupported Content-Type '" + type + "': send the JSON document with"
            + " 'Content-Type: application/json' (curl: -H 'Content-Type: application/json' --data-binary @study.json)"));
        return;
      }
      if (declared > limit) {
        refuse(rc, req, tooLarge(limit, declared));
        return;
      }
      if (req.isEnded()) {
        rc.put(KEY, Buffer.buffer());
        rc.next();
        return;
      }
      if ("100-continue".equalsIgnoreCase(req.getHeader("Expect")) && req.version() == HttpVersion.HTTP_1_1) {
        rc.response().writeContinue();
      }
      Buffer[] body = {Buffer.buffer(declared > 0 ? (int) declared : 1024)};
      long[] dropped = {-1}; // >= 0 once the body went over the limit
      req.handler(chunk -> {
        if (dropped[0] >= 0) {
          dropped[0] += chunk.length();
          if (dropped[0] > DISCARD_MAX) req.connection().close();
        } else if (body[0].length() + chunk.length() > limit) {
          dropped[0] = body[0].length() + chunk.length();
          body[0] = null; // what was read is dropped
          StudyApi.fail(rc, tooLarge(limit, -1));
        } else {
          body[0].appendBuffer(chunk);
        }
      });
      req.exceptionHandler(e -> log.debug("while reading the body of {} {}: {}", req.method(), req.path(), e.toString()));
      req.endHandler(v -> {
        if (dropped[0] < 0 && !rc.response().ended()) {
          rc.put(KEY, body[0]);
          rc.next();
        }
      });
      req.resume();
    };
  }

  /** The body read by {@link #reader}; empty when there was none. */
  static String text(RoutingContext rc) {
    Buffer b = rc.get(KEY);
    return b == null ? "" : b.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static ApiError tooLarge(int limit, long declared) {
    return new ApiError(413, "request body " + (declared > 0 ? "of " + declared + " bytes " : "") + "larger than "
        + limit + " bytes, the most the API accepts; a study definition is a few KB");
  }

  /** Answers before the body is read, then drops what the client still sends (bounded). */
  private static void refuse(RoutingContext rc, HttpServerRequest req, ApiError e) {
    StudyApi.fail(rc, e);
    if (!req.isEnded()) {
      long[] dropped = {0};
      req.handler(chunk -> {
        dropped[0] += chunk.length();
        if (dropped[0] > DISCARD_MAX) req.connection().close();
      });
      req.exceptionHandler(x -> {});
      req.resume();
    }
  }

  static boolean acceptable(String contentType) {
    if (contentType == null || contentType.isBlank()) return true;
    String t = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return t.equals("application/json") || (t.startsWith("application/") && t.endsWith("+json"))
        || t.equals("text/plain") || t.equals("application/x-www-form-urlencoded");
  }

  private static long contentLength(HttpServerRequest req) {
    String v = req.getHeader("Content-Length");
    if (v == null) return -1;
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
