package org.dure.coordinator.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The web dashboard on the API port: plain HTML, CSS and JavaScript from the classpath ({@code dashboard/}) under
 * {@code /ui/}, and the uPlot charting library from its WebJar under {@code /ui/vendor/uplot/}. The pages hold no
 * data and no credential of their own: they call the API with the bearer token the user signs in with (kept in
 * {@code sessionStorage}), and nothing is loaded from another origin. Every page carries {@link #CSP}: scripts,
 * connections and frames from this origin only, no inline scripts.
 *
 * <pre>
 * GET /ui/                     the dashboard (index.html, app.js, dashboard.css)       public
 * GET /ui/vendor/uplot/{file}  uPlot's dist/ files from the org.webjars.npm:uplot jar  public
 * GET /ui                      redirect to /ui/                                         public
 * </pre>
 * These are static file trees, not API operations: the OpenAPI document leaves them out.
 */
final class Dashboard {
  /**
   * Scripts only from this origin and never inline. Inline styles are allowed because the validation report is
   * self-contained HTML with its own styles, shown in a sandboxed {@code srcdoc} frame that inherits this policy.
   */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
      + "img-src 'self' data:; connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; "
      + "frame-ancestors 'none'";
  static final String UPLOT_PROPERTIES = "META-INF/maven/org.webjars.npm/uplot/pom.properties";

  private final String uplotRoot;

  Dashboard() {
    this.uplotRoot = "META-INF/resources/webjars/uplot/" + webJarVersion() + "/dist";
  }

  void register(Router r) {
    r.route("/ui/*").handler(rc -> {
      if (rc.request().path().equals("/ui")) {
        rc.response().setStatusCode(302).putHeader("Location", "/ui/").end(); // so that relative links resolve
        return;
      }
      rc.response().putHeader("Content-Security-Policy", CSP)
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer")
          .putHeader("X-Frame-Options", "DENY");
      rc.next();
    });
    r.route("/ui/vendor/uplot/*").handler(StaticHandler.create(uplotRoot).setCachingEnabled(false)
        .setDirectoryListing(false));
    r.route("/ui/*").handler(StaticHandler.create("dashboard").setCachingEnabled(false).setDirectoryListing(false)
        .setIndexPage("index.html"));
  }

  /** The uPlot version on the classpath, so that the pages need not name it. */
  private static String webJarVersion() {
    try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(UPLOT_PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(UPLOT_PROPERTIES + " is not on the classpath: the dashboard's charts come from "
            + "the org.webjars.npm:uplot jar; rebuild the coordinator with its dependencies");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
