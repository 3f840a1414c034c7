package org.dure.coordinator.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3.0 document of every route the API serves ({@code openapi.json} beside this class), served
 * at {@code GET /api/openapi.json} without a credential: it describes the API's shape, never a study, site
 * or user. {@code OpenApiRoutesTest} keeps it equal to the router's routes.
 */
final class OpenApi {
  static final String PATH = "/api/openapi.json";
  static final String RESOURCE = "openapi.json";
  private static final Buffer DOCUMENT = Buffer.buffer(read());

  private OpenApi() {}

  static void serve(RoutingContext rc) {
    rc.response().putHeader("Content-Type", "application/json").end(DOCUMENT);
  }

  /** The document's bytes, from the classpath (read once, when the API is built). */
  static byte[] read() {
    try (InputStream in = OpenApi.class.getResourceAsStream(RESOURCE)) {
      if (in == null) throw new IllegalStateException(RESOURCE + " is missing beside " + OpenApi.class.getName() + "; rebuild the coordinator");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
