package org.dure.coordinator.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
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
 * The researcher's HTTP API (JSON). Every error is JSON {@code {"error": ..., "field": ...}} with a
 * 4xx status that says what to fix; reads come from the cluster state.
 *
 * <pre>
 * POST /api/studies                 submit a study (body: study JSON)         201
 * GET  /api/studies                 list studies                              200
 * GET  /api/studies/{id}            one study, with its sites and reasons     200
 * POST /api/studies/{id}/start      start a submitted study                   202
 * POST /api/studies/{id}/stop       stop a running study                      200
 * GET  /api/studies/{id}/rounds     per-round metrics                         200
 * GET  /api/studies/{id}/model      latest global model as a zip              200
 * GET  /api/studies/{id}/model/{f}  one file of it (model.json, *.npy)        200
 * GET  /api/sites                   connected site agents                     200
 * GET  /health                      liveness                                  200
 * </pre>
 */
public final class StudyApi {
  private static final Logger log = LoggerFactory.getLogger(StudyApi.class);
  static final int MAX_BODY = 1024 * 1024;
  private static final Pattern MODEL_FILE = Pattern.compile("(model\\.json|[a-z0-9_]{1,64}\\.npy)");
  private final Vertx vertx;
  private final StudyDirectory studies;
  private final SiteRegistry sites;

  public StudyApi(Vertx vertx, StudyDirectory studies, SiteRegistry sites) {
    this.vertx = vertx;
    this.studies = studies;
    this.sites = sites;
  }

  public Router router() {
    Router r = Router.router(vertx);
    r.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY));
    r.post("/api/studies").handler(this::submit);
    r.get("/api/studies").handler(rc -> blocking(rc, () -> StudyStore.JSON.valueToTree(studies.store().all())));
    r.get("/api/studies/:id").handler(rc -> {
      String id = id(rc);
      blocking(rc, () -> StudyStore.JSON.valueToTree(studies.store().get(id).orElseThrow(() -> notFound(id))));
    });
    r.post("/api/studies/:id/start").handler(rc -> {
      StudyRunner runner = runner(rc);
      try {
        json(rc, 202, studies.start(runner.id()));
      } catch (IllegalStateException e) {
        throw new ApiError(409, e.getMessage());
      }
    });
    r.post("/api/studies/:id/stop").handler(rc -> {
      StudyRunner runner = runner(rc);
      try {
        json(rc, 200, studies.stop(runner.id(), "stopped by the researcher"));
      } catch (IllegalStateException e) {
        throw new ApiError(409, e.getMessage());
      }
    });
    r.get("/api/studies/:id/rounds").handler(rc -> {
      String id = runner(rc).id();
      blocking(rc, () -> StudyStore.JSON.valueToTree(studies.store().rounds(id)));
    });
    r.get("/api/studies/:id/model").handler(this::modelZip);
    r.get("/api/studies/:id/model/:file").handler(this::modelFile);
    r.get("/api/sites").handler(rc -> {
      ArrayNode out = StudyStore.JSON.createArrayNode();
      for (SiteSession s : sites.sessions())
        out.addObject().put("siteId", s.siteId()).put("connectedAt", s.connectedAt().toString())
            .put("remoteAddress", s.remoteAddress()).put("bytesSent", s.bytesSent()).put("bytesReceived", s.bytesReceived());
      json(rc, 200, out);
    });
    r.get("/health").handler(rc -> json(rc, 200, StudyStore.JSON.createObjectNode().put("status", "ok")));
    r.route().last().handler(rc -> error(rc, new ApiError(404, "no such endpoint: " + rc.request().method() + " " + rc.request().path())));
    r.errorHandler(500, rc -> {
      Throwable f = rc.failure();
      if (f instanceof ApiError e) {
        error(rc, e);
      } else {
        log.error("API failure on {} {}", rc.request().method(), rc.request().path(), f);
        error(rc, new ApiError(500, "internal error; see the coordinator log"));
      }
    });
    r.errorHandler(413, rc -> error(rc, new ApiError(413, "request body larger than " + MAX_BODY + " bytes")));
    r.errorHandler(405, rc -> error(rc, new ApiError(405, "method not allowed")));
    return r;
  }

  private void submit(RoutingContext rc) {
    String body = rc.body() == null ? null : rc.body().asString();
    if (body == null || body.isBlank()) throw new ApiError(400, "empty body: send the study definition as JSON", "$");
    StudySpec spec;
    try {
      spec = StudySpecParser.parse(body);
    } catch (StudySpecException e) {
      throw new ApiError(400, e.getMessage(), e.field());
    }
    StudyView v = studies.submit(spec);
    rc.response().putHeader("Location", "/api/studies/" + v.id());
    json(rc, 201, v);
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

  private Path modelDir(RoutingContext rc) {
    StudyView v = runner(rc).view();
    if (v.modelDir() == null) throw new ApiError(404, "study " + v.id() + " has no model yet (status " + v.status() + "); one is saved after each round");
    return Path.of(v.modelDir());
  }

  private StudyRunner runner(RoutingContext rc) {
    String id = id(rc);
    return studies.runner(id).orElseThrow(() -> notFound(id));
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

  static void error(RoutingContext rc, ApiError e) {
    ObjectNode n = StudyStore.JSON.createObjectNode().put("error", e.getMessage());
    if (e.field != null) n.put("field", e.field);
    if (!rc.response().ended()) json(rc, e.status, n);
  }
}
