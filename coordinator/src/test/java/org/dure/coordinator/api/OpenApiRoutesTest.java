package org.dure.coordinator.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.lang.reflect.Constructor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document ({@code openapi.json} beside {@link OpenApi}) and the API's router describe the same
 * routes. A route counts when it names a method, or when it has an exact path (a route for any method must
 * have at least one documented operation); routes for any method on a path prefix ({@code /api/*}
 * authentication, static file trees) and the final 404 are plumbing and do not count. Vert.x
 * {@code :param} is written {@code {param}}, and a method's prefix route {@code GET /x/*} is documented as
 * {@code /x/{path}}.
 */
class OpenApiRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static Vertx vertx;
  private static Router router;
  private static JsonNode document;

  @BeforeAll static void build() throws Exception {
    vertx = Vertx.vertx();
    router = apiRouter(vertx);
    document = JSON.readTree(OpenApi.read());
  }

  @AfterAll static void close() {
    vertx.close().await();
  }

  /**
   * The API's router, built with nulls for its collaborators: registering routes only stores handlers, so
   * none of them is needed. Found by reflection so that a new constructor parameter does not break this test.
   */
  static Router apiRouter(Vertx vertx) throws Exception {
    Constructor<?> ctor = StudyApi.class.getConstructors()[0];
    Object[] args = new Object[ctor.getParameterCount()];
    for (int i = 0; i < args.length; i++) if (ctor.getParameterTypes()[i] == Vertx.class) args[i] = vertx;
    try {
      return ((StudyApi) ctor.newInstance(args)).router();
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw new AssertionError("StudyApi.router() needs a collaborator while registering routes (" + e.getCause()
          + "); register handlers without calling into collaborators, or build them here", e.getCause());
    }
  }

  @Test void everyRegisteredRouteIsDocumentedAndEveryDocumentedRouteIsRegistered() {
    Set<String> registered = new TreeSet<>();
    Set<String> anyMethodPaths = new TreeSet<>();
    List<String> problems = new ArrayList<>();
    for (Route route : router.getRoutes()) {
      boolean anyMethod = route.methods() == null || route.methods().isEmpty();
      if (route.getPath() == null) {                            // route().last() (the 404 for everything else) or a regex
        if (!anyMethod) problems.add("route " + route.methods() + " " + route.getName() + " has a regex path, which OpenAPI cannot"
            + " describe; give it a plain path (:param for variables)");
        continue;
      }
      String path = openApiPath(route.getPath(), route.isExactPath());
      if (anyMethod) {
        if (route.isExactPath()) anyMethodPaths.add(path);      // otherwise plumbing: /api/* authentication, static trees
        continue;
      }
      for (HttpMethod m : route.methods()) registered.add(m.name() + " " + path);
    }
    Set<String> documented = documentedOperations();
    Set<String> undocumented = new TreeSet<>(registered);
    undocumented.removeAll(documented);
    Set<String> extra = new TreeSet<>(documented);
    extra.removeAll(registered);
    for (String path : anyMethodPaths) {
      if (documented.stream().noneMatch(op -> op.endsWith(" " + path))) undocumented.add("(any method) " + path);
      extra.removeIf(op -> op.endsWith(" " + path));
    }
    if (!undocumented.isEmpty()) problems.add("routes the coordinator serves but " + OpenApi.RESOURCE + " does not document"
        + " (add them under \"paths\" in coordinator/src/main/resources/org/dure/coordinator/api/" + OpenApi.RESOURCE + "):\n    "
        + String.join("\n    ", undocumented));
    if (!extra.isEmpty()) problems.add("operations " + OpenApi.RESOURCE + " documents but no route serves (remove them or"
        + " register the route):\n    " + String.join("\n    ", extra));
    if (!problems.isEmpty()) fail(String.join("\n", problems));
  }

  @Test void everyOperationNamesItsRolesAndOnlyPublicOnesNeedNoToken() {
    List<String> problems = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> p = paths.next();
      for (Iterator<Map.Entry<String, JsonNode>> ops = p.getValue().fields(); ops.hasNext(); ) {
        Map.Entry<String, JsonNode> op = ops.next();
        if (!METHODS.contains(op.getKey())) continue;
        String name = op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey();
        JsonNode o = op.getValue();
        boolean isPublic = o.path("security").isArray() && o.path("security").isEmpty();
        if (!o.path("x-roles").isArray()) problems.add(name + ": no x-roles array (the roles the route admits; [] if public)");
        else if (isPublic != o.path("x-roles").isEmpty()) problems.add(name + ": x-roles " + o.path("x-roles")
            + " but security " + (isPublic ? "[] (public)" : "bearer") + "; a route is public exactly when it admits no role");
        if (!isPublic && !o.path("description").asText().startsWith("Roles: ")) problems.add(name + ": description must start with 'Roles: '");
        if (!isPublic && !o.path("responses").has("401")) problems.add(name + ": no 401 response");
        if (!o.path("responses").fieldNames().hasNext()) problems.add(name + ": no responses");
      }
    }
    Set<String> publicOps = new TreeSet<>();
    document.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
      if (op.getValue().path("security").isArray() && op.getValue().path("security").isEmpty()) {
        publicOps.add(op.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey());
      }
    }));
    assertEquals(List.of(), problems);
    assertEquals(Set.of("GET /health", "GET /ready", "GET /api/openapi.json"), publicOps, "the public routes");
  }

  @Test void everyReferenceResolves() {
    List<String> dangling = new ArrayList<>();
    document.findValues("$ref").forEach(ref -> {
      JsonNode target = document.at(ref.asText().substring(1));
      if (!ref.asText().startsWith("#/") || target.isMissingNode()) dangling.add(ref.asText());
    });
    assertEquals(List.of(), dangling, "$ref targets missing from " + OpenApi.RESOURCE);
  }

  @Test void theDocumentIsServedWithoutACredentialWhileOtherApiRoutesStillNeedOne() throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
    try {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.actualPort();
      HttpResponse<String> doc = http.send(HttpRequest.newBuilder(URI.create(base + OpenApi.PATH)).build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> whoami = http.send(HttpRequest.newBuilder(URI.create(base + "/api/whoami")).build(), HttpResponse.BodyHandlers.ofString());

      assertEquals(200, doc.statusCode());
      assertEquals("application/json", doc.headers().firstValue("Content-Type").orElse(""));
      assertEquals(document, JSON.readTree(doc.body()));
      assertTrue(document.path("openapi").asText().startsWith("3.0"), "an OpenAPI 3.0 document");
      assertEquals(401, whoami.statusCode());
    } finally {
      server.close().await();
    }
  }

  private static Set<String> documentedOperations() {
    Set<String> ops = new TreeSet<>();
    document.path("paths").fields().forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
      if (METHODS.contains(m)) ops.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
    }));
    return ops;
  }

  /** {@code /api/studies/:id} → {@code /api/studies/{id}}; a prefix route {@code /x/} → {@code /x/{path}}. */
  static String openApiPath(String vertxPath, boolean exact) {
    String p = vertxPath.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
    return exact ? p : (p.endsWith("/") ? p : p + "/") + "{path}";
  }
}
