package org.dure.coordinator.api;

import static org.dure.coordinator.api.Access.allow;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.handler.HttpException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.dure.coordinator.ledger.ParticipationLedger;
import org.dure.coordinator.metrics.CoordinatorMetrics;
import org.dure.coordinator.report.ReportHtml;
import org.dure.coordinator.security.Caller;
import org.dure.coordinator.security.Credentials;
import org.dure.coordinator.security.Role;
import org.dure.coordinator.security.SiteTrust;
import org.dure.coordinator.sites.SiteRegistry;
import org.dure.coordinator.sites.SiteSession;
import org.dure.coordinator.study.StudyDirectory;
import org.dure.coordinator.study.StudyRunner;
import org.dure.coordinator.study.StudyStore;
import org.dure.coordinator.study.StudyView;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecException;
import org.dure.protocol.study.StudySpecParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API (JSON over HTTPS). Every {@code /api} request needs {@code Authorization: Bearer <token>}
 * (401 without a valid one) and a role the route admits (403 otherwise); researchers see and act on their
 * own studies only (those submitted with their credential, see {@link StudyView#ownedBy}). Every error is JSON {@code {"error": ..., "field": ...}} with a 4xx status that says
 * what to fix; reads come from the cluster state.
 *
 * <pre>
 * POST /api/studies                 submit a study (body: study JSON)     researcher                 201
 * GET  /api/studies                 list studies (a researcher: own)      researcher, auditor        200
 * GET  /api/studies/{id}            one study, with its sites and reasons researcher (own), auditor  200
 * POST /api/studies/{id}/start      start a submitted study               researcher (own)           202
 * POST /api/studies/{id}/stop       stop a study that has not ended       researcher (own), admin    200
 * GET  /api/studies/{id}/rounds     per-round metrics                     researcher (own), auditor  200
 * GET  /api/studies/{id}/events     live progress, server-sent events     researcher (own), auditor  200
 * GET  /api/studies/{id}/model      latest global model as a zip          researcher (own)           200
 * GET  /api/studies/{id}/model/{f}  one file of it (model.json, *.npy)    researcher (own)           200
 * GET  /api/studies/{id}/report     validation report (JSON)              researcher (own), auditor  200
 * GET  /api/studies/{id}/report.html the same as an HTML page with plots  researcher (own), auditor  200
 * GET  /api/sites                   connected site agents (a researcher:  any role                   200
 *                                   id and online only)
 * GET  /api/whoami                  the caller's name and role            any role                   200
 * GET  /health                      liveness (no credential, no data)     public                     200
 * GET  /ready                       readiness: Hazelcast, ledger, storage, public                  200, 503
 *                                   PKI ({@link Readiness})
 * GET  /api/metrics                 Prometheus metrics                    admin, auditor             200
 * GET  /api/openapi.json            OpenAPI 3.0 document of every route   public                     200
 * </pre>
 * plus the administrator's routes in {@link AdminApi}, the ledger's in {@link LedgerApi} and the web dashboard
 * ({@code /ui/}) in {@link Dashboard}.
 */
public final class StudyApi {
  private static final Logger log = LoggerFactory.getLogger(StudyApi.class);
  static final int MAX_BODY = 1024 * 1024;
  private static final Pattern MODEL_FILE = Pattern.compile("(model\\.json|[a-z0-9_]{1,64}\\.npy)");
  private final Vertx vertx;
  private final StudyDirectory studies;
  private final SiteRegistry sites;
  private final Access access;
  private final AdminApi admin;
  private final LedgerApi ledgerApi;
  private final StudyEvents events;
  private final Dashboard dashboard;
  private final CoordinatorMetrics metrics;
  private final Readiness readiness;

  public StudyApi(Vertx vertx, StudyDirectory studies, SiteRegistry sites, Credentials credentials, SiteTrust trust,
                  ParticipationLedger ledger, CoordinatorMetrics metrics, Readiness readiness) {
    this.metrics = metrics == null ? CoordinatorMetrics.NONE : metrics;
    this.readiness = readiness;
    this.vertx = vertx;
    this.studies = studies;
    this.sites = sites;
    this.access = new Access(credentials);
    this.admin = new AdminApi(vertx, credentials, trust, ledger, studies);
    this.ledgerApi = new LedgerApi(vertx, ledger);
    this.events = new StudyEvents(vertx);
    this.dashboard = new Dashboard();
  }

  public Router router() {
    Router r = Router.router(vertx);
    r.route().handler(rc -> count(r, rc));
    r.get("/health").handler(StudyApi::health);
    r.get("/ready").handler(rc -> readiness.handle(rc));
    dashboard.register(r);
    r.get(OpenApi.PATH).handler(OpenApi::serve);
    r.route("/api/*").handler(access::authenticate);
    r.route("/api/*").handler(JsonBody.reader(MAX_BODY));
    r.get("/api/whoami").handler(rc -> json(rc, 200, Access.caller(rc)));
    r.post("/api/studies").handler(allow(Role.RESEARCHER)).handler(this::submit);
    r.get("/api/studies").handler(allow(Role.RESEARCHER, Role.AUDITOR)).handler(rc -> {
      Caller c = Access.caller(rc);
      blocking(rc, () -> StudyStore.JSON.valueToTree(studies.store().all().stream()
          .filter(v -> c.role() != Role.RESEARCHER || v.ownedBy(c)).toList()));
    });
    r.get("/api/studies/:id").handler(allow(Role.RESEARCHER, Role.AUDITOR)).handler(rc -> {
      String id = visibleRunner(rc).id();
      blocking(rc, () -> StudyStore.JSON.valueToTree(studies.store().get(id).orElseThrow(() -> notFound(id))));
    });
    r.post("/api/studies/:id/start").handler(allow(Role.RESEARCHER)).handler(rc -> {
      StudyRunner runner = visibleRunner(rc);
      try {
        json(rc, 202, studies.start(runner.id()));
      } catch (IllegalStateException e) {
        throw new ApiError(409, e.getMessage());
      }
    });
    r.post("/api/studies/:id/stop").handler(allow(Role.RESEARCHER, Role.ADMIN)).handler(rc -> {
      StudyRunner runner = visibleRunner(rc); // a researcher their own study, an administrator any
      Caller c = Access.caller(rc);
      try {
        json(rc, 200, studies.stop(runner.id(), "stopped by " + (c.role() == Role.ADMIN ? "administrator " : "") + c.name(),
            c.name()));
      } catch (IllegalStateException e) {
        throw new ApiError(409, e.getMessage());
      }
    });
    r.get("/api/studies/:id/rounds").handler(allow(Role.RESEARCHER, Role.AUDITOR)).handler(rc -> {
      String id = visibleRunner(rc).id();
      blocking(rc, () -> StudyStore.JSON.valueToTree(studies.store().rounds(id)));
    });
    r.get("/api/studies/:id/events").handler(allow(Role.RESEARCHER, Role.AUDITOR))
        .handler(rc -> events.stream(rc, visibleRunner(rc), () -> access.stillValid(rc)));
    r.get("/api/studies/:id/model").handler(allow(Role.RESEARCHER)).handler(this::modelZip);
    r.get("/api/studies/:id/model/:file").handler(allow(Role.RESEARCHER)).handler(this::modelFile);
    r.get("/api/studies/:id/report").handler(allow(Role.RESEARCHER, Role.AUDITOR)).handler(rc -> report(rc, false));
    r.get("/api/studies/:id/report.html").handler(allow(Role.RESEARCHER, Role.AUDITOR)).handler(rc -> report(rc, true));
    r.get("/api/sites").handler(allow(Role.RESEARCHER, Role.AUDITOR, Role.ADMIN)).handler(rc -> {
      // A researcher needs to know which sites are online to run a study, not where the hospitals' networks are or
      // how much they send: addresses, byte counters and certificates are for administrators and auditors.
      boolean operator = Access.caller(rc).role() != Role.RESEARCHER;
      ArrayNode out = StudyStore.JSON.createArrayNode();
      for (SiteSession s : sites.sessions()) {
        ObjectNode n = out.addObject().put("siteId", s.siteId()).put("online", true);
        if (operator) {
          n.put("connectedAt", s.connectedAt().toString())
              .put("remoteAddress", s.remoteAddress()).put("bytesSent", s.bytesSent()).put("bytesReceived", s.bytesReceived())
              .put("certificateSerial", s.certificate().getSerialNumber().toString(16))
              .put("certificateNotAfter", s.certificate().getNotAfter().toInstant().toString());
        }
      }
      json(rc, 200, out);
    });
    r.get("/api/metrics").handler(allow(Role.ADMIN, Role.AUDITOR)).handler(rc -> metrics(rc, metrics));
    admin.register(r);
    ledgerApi.register(r);
    r.route().last().handler(rc -> unrouted(r, rc));
    r.errorHandler(500, rc -> {
      Throwable f = rc.failure();
      if (f instanceof ApiError e) {
        error(rc, e);
      } else if (f instanceof HttpException h && h.getStatusCode() < 500) {
        error(rc, clientError(h.getStatusCode(), h.getPayload()));
      } else {
        log.error("API failure on {} {}", rc.request().method(), rc.request().path(), f);
        error(rc, new ApiError(500, "internal error; see the coordinator log"));
      }
    });
    for (int status : new int[] {400, 401, 403, 404, 405, 406, 408, 411, 413, 414, 415, 416, 422, 429, 431}) {
      r.errorHandler(status, rc -> error(rc, rc.failure() instanceof ApiError e ? e : clientError(rc.statusCode(), null)));
    }
    return r;
  }

  /**
   * The separate metrics listener's routes (plain HTTP, no token; off unless configured): {@code GET /metrics},
   * {@code GET /health} and {@code GET /ready}, as on the API port.
   */
  public static Router metricsRouter(Vertx vertx, CoordinatorMetrics metrics, Readiness readiness) {
    Router r = Router.router(vertx);
    r.get("/metrics").handler(rc -> metrics(rc, metrics));
    r.get("/health").handler(StudyApi::health);
    r.get("/ready").handler(readiness::handle);
    r.route().last().handler(rc -> rc.response().setStatusCode(404).putHeader("Content-Type", "text/plain")
        .end("this listener serves GET /metrics, /health and /ready\n"));
    return r;
  }

  /** {@code GET /health}: liveness (the process answers); readiness is {@code GET /ready}. */
  static void health(RoutingContext rc) {
    json(rc, 200, StudyStore.JSON.createObjectNode().put("status", "ok"));
  }

  /** The Prometheus exposition of {@code metrics}, scraped on the event loop (docs/guide-administrators.md, "Operations"). */
  static void metrics(RoutingContext rc, CoordinatorMetrics metrics) {
    if (!metrics.enabled()) throw new ApiError(404, "metrics are not enabled on this coordinator");
    CoordinatorMetrics.Scrape s = metrics.scrape(rc.request().getHeader("Accept"));
    rc.response().putHeader("Content-Type", s.contentType()).putHeader("Cache-Control", "no-store").end(s.body());
  }

  /**
   * Counts every request once its response is written: {@code dure_api_requests_total} by the template of the route that
   * answered ({@code /api/studies/:id}, never the path itself), and the bytes in and out.
   */
  private void count(Router r, RoutingContext rc) {
    // A body-end handler: rc.addEndHandler would take the response's end handler, which ApiConnectionGuard needs.
    rc.addBodyEndHandler(v -> {
      metrics.apiRequest(routeTemplate(r, rc.request().method(), rc.request().path()), rc.request().method().name(),
          rc.response().getStatusCode());
      metrics.received(CoordinatorMetrics.API, rc.request().bytesRead());
      metrics.sent(CoordinatorMetrics.API, rc.response().bytesWritten());
    });
    rc.next();
  }

  /** Route templates as patterns, built once from the router (for the {@code route} label). */
  private java.util.List<java.util.Map.Entry<Pattern, Route>> templates;

  /**
   * The template of the route that serves {@code method path} ({@code /api/studies/:id}), a static tree's prefix
   * ({@code /ui/*}), or {@code unmatched}: a bounded label, whatever path a client sends.
   */
  private String routeTemplate(Router r, HttpMethod method, String path) {
    if (templates == null) {
      java.util.List<java.util.Map.Entry<Pattern, Route>> t = new java.util.ArrayList<>();
      for (Route route : r.getRoutes()) {
        String p = route.getPath();
        if (p == null) continue;
        String regex = Pattern.quote(p).replaceAll(":[A-Za-z0-9_]+", java.util.regex.Matcher.quoteReplacement("\\E[^/]+\\Q"));
        t.add(java.util.Map.entry(Pattern.compile(route.isExactPath() ? regex : regex + ".*"), route));
      }
      templates = t;
    }
    String any = null;
    for (var e : templates) {
      Route route = e.getValue();
      if (path == null || !e.getKey().matcher(path).matches()) continue;
      String label = route.isExactPath() ? route.getPath() : route.getPath() + "*";
      if (route.isExactPath() && route.methods() != null && route.methods().contains(method)) return label;
      if (any == null && (route.isExactPath() || !"/api/".equals(route.getPath()))) any = label;
    }
    return any != null ? any : "unmatched";
  }

  /** The answer for a status Vert.x itself failed a request with (malformed request line, path, headers ...). */
  private static ApiError clientError(int status, String detail) {
    String what = switch (status) {
      case 400 -> "malformed request";
      case 401 -> "authentication required: send 'Authorization: Bearer <token>'";
      case 403 -> "not allowed";
      case 404 -> "not found";
      case 405 -> "method not allowed";
      case 413 -> "request body larger than " + MAX_BODY + " bytes, the most the API accepts";
      case 414 -> "request URI too long";
      case 415 -> "unsupported Content-Type: send JSON with 'Content-Type: application/json'";
      case 431 -> "request headers too large";
      default -> "request refused";
    };
    return new ApiError(status, detail == null || detail.isBlank() ? what : what + ": " + detail);
  }

  /** No route took the request: 405 naming the allowed methods when the path exists for others, else 404. */
  private static void unrouted(Router r, RoutingContext rc) {
    String path = rc.request().path();
    java.util.Set<String> allowed = new java.util.TreeSet<>();
    for (Route route : r.getRoutes()) {
      String p = route.getPath();
      if (p == null || route.methods() == null || route.methods().isEmpty()) continue;
      String regex = Pattern.quote(p).replaceAll(":[A-Za-z0-9_]+", java.util.regex.Matcher.quoteReplacement("\\E[^/]+\\Q"));
      if (Pattern.matches(regex, path)) route.methods().forEach(m -> allowed.add(m.name()));
    }
    allowed.remove(rc.request().method().name());
    if (allowed.isEmpty()) {
      error(rc, new ApiError(404, "no such endpoint: " + rc.request().method() + " " + path
          + " (the routes are in GET " + OpenApi.PATH + ")"));
    } else {
      rc.response().putHeader("Allow", String.join(", ", allowed));
      error(rc, new ApiError(405, rc.request().method() + " is not supported on " + path + "; use " + String.join(" or ", allowed)));
    }
  }

  /** The request body as a JSON object, or a 400 naming the problem. */
  static JsonNode bodyJson(RoutingContext rc) {
    String body = JsonBody.text(rc);
    if (body.isBlank()) throw new ApiError(400, "empty body: send a JSON object", "$");
    try {
      JsonNode n = org.dure.json.StrictJson.read(body);
      if (n == null || !n.isObject()) throw new ApiError(400, "the body must be a JSON object", "$");
      return n;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ApiError(400, e.getMessage(), "$");
    }
  }

  private void submit(RoutingContext rc) {
    String body = JsonBody.text(rc);
    if (body.isBlank()) throw new ApiError(400, "empty body: send the study definition as JSON", "$");
    StudySpec spec;
    try {
      spec = StudySpecParser.parseNew(body);
    } catch (StudySpecException e) {
      throw new ApiError(400, e.getMessage(), e.field());
    }
    studies.submit(spec, Access.caller(rc)).onSuccess(v -> {
      rc.response().putHeader("Location", "/api/studies/" + v.id());
      json(rc, 201, v);
    }).onFailure(rc::fail);
  }

  private void modelZip(RoutingContext rc) {
    Path dir = modelDir(rc);
    vertx.executeBlocking(() -> {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ZipOutputStream zip = new ZipOutputStream(bytes); var files = Files.list(dir)) {
        for (Path f : files.sorted().toList()) {
          zip.putNextEntry(new ZipEntry(f.getFileName().toString()));
          Files.copy(f, zip);
          zip.closeEntry();
        }
      }
      return Buffer.buffer(bytes.toByteArray());
    }, false).onSuccess(buf -> rc.response().putHeader("Content-Type", "application/zip")
        .putHeader("Content-Disposition", "attachment; filename=\"model-" + id(rc) + ".zip\"").end(buf))
        .onFailure(rc::fail);
  }

  private void modelFile(RoutingContext rc) {
    Path dir = modelDir(rc);
    String file = rc.pathParam("file");
    if (!MODEL_FILE.matcher(file).matches()) throw new ApiError(404, "no model file '" + file + "'");
    Path f = dir.resolve(file);
    vertx.fileSystem().exists(f.toString()).onSuccess(exists -> {
      if (!exists) {
        error(rc, new ApiError(404, "no model file '" + file + "'"));
      } else {
        rc.response().putHeader("Content-Type", file.endsWith(".json") ? "application/json" : "application/octet-stream")
            .sendFile(f.toString());
      }
    }).onFailure(rc::fail);
  }

  /** The study's validation report as JSON or as a self-contained HTML page; 404 until the final model is evaluated. */
  private void report(RoutingContext rc, boolean html) {
    StudyView v = visibleRunner(rc).view();
    vertx.executeBlocking(() -> studies.store().report(v.id()).orElseThrow(() -> new ApiError(404, "study " + v.id()
        + " has no validation report yet (status " + v.status() + "); it is made when the last round's model has been"
        + " evaluated at the sites")), false).onSuccess(report -> {
          if (html) {
            rc.response().putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
                .end(ReportHtml.render(report));
          } else {
            json(rc, 200, report);
          }
        }).onFailure(rc::fail);
  }

  private Path modelDir(RoutingContext rc) {
    StudyView v = visibleRunner(rc).view();
    if (v.modelDir() == null) throw new ApiError(404, "study " + v.id() + " has no model yet (status " + v.status() + "); one is saved after each round");
    return Path.of(v.modelDir());
  }

  /** The study named in the path, if the caller may see it: an auditor any, a researcher only their own. */
  private StudyRunner visibleRunner(RoutingContext rc) {
    String id = id(rc);
    StudyRunner r = studies.runner(id).orElseThrow(() -> notFound(id));
    Caller c = Access.caller(rc);
    if (c.role() == Role.RESEARCHER && !r.ownedBy(c)) {
      throw new ApiError(403, "study " + id + " belongs to another researcher; researchers see and run their own studies only");
    }
    return r;
  }

  private static String id(RoutingContext rc) {
    String id = rc.pathParam("id");
    try {
      return UUID.fromString(id).toString();
    } catch (IllegalArgumentException e) {
      throw new ApiError(404, "no study '" + id + "' (study ids are UUIDs)");
    }
  }

  private static ApiError notFound(String id) {
    return new ApiError(404, "no study " + id);
  }

  private void blocking(RoutingContext rc, java.util.concurrent.Callable<Object> read) {
    vertx.executeBlocking(read, false).onSuccess(v -> json(rc, 200, v)).onFailure(rc::fail);
  }

  static void json(RoutingContext rc, int status, Object body) {
    String text;
    try {
      text = StudyStore.JSON.writeValueAsString(body);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      rc.fail(e);
      return;
    }
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(text);
  }

  /**
   * Answers {@code {"error", "field"}} with the error's status. A client's mistake is logged as one WARN line
   * (status, method, path, caller, message), never with a stack trace; tokens and bodies are never logged.
   */
  static void error(RoutingContext rc, ApiError e) {
    Caller c = rc.get(Access.CALLER);
    if (e.status == 401 || e.status == 403) {
      org.dure.protocol.logging.LogFields.security(log, org.slf4j.event.Level.WARN,
          e.status == 401 ? "api.authentication.refused" : "api.role.refused", null, null, "API {} on {} {}{}: {}",
          e.status, rc.request().method(), oneLine(rc.request().path()), c == null ? "" : " by " + c.name(),
          oneLine(e.getMessage()));
    } else {
      log.warn("API {} on {} {}{}: {}", e.status, rc.request().method(), oneLine(rc.request().path()),
          c == null ? "" : " by " + c.name(), oneLine(e.getMessage()));
    }
    ObjectNode n = StudyStore.JSON.createObjectNode().put("error", e.getMessage());
    if (e.field != null) n.put("field", e.field);
    if (!rc.response().ended()) json(rc, e.status, n);
  }

  /** Answers a failure outside the router's handler chain (a body handler's callback). */
  static void fail(RoutingContext rc, ApiError e) {
    error(rc, e);
  }

  /** Text from a request, safe for one log line (no line breaks or control characters, bounded). */
  private static String oneLine(String s) {
    if (s == null) return "";
    String t = s.replaceAll("\\p{Cntrl}", "?");
    return t.length() > 300 ? t.substring(0, 300) + "..." : t;
  }
}
