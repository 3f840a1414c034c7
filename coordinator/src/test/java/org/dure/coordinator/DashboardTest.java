package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web dashboard's server side on a real coordinator: its files under {@code /ui/} with a strict
 * Content-Security-Policy and the charting library from its WebJar, and the study event stream with the same
 * access rules as the study it follows. The pages themselves are driven in a browser by the launcher's
 * {@code DashboardBrowserTest}.
 */
class DashboardTest {
  static final String STUDY = """
      {"name": "dashboard-test", "model": {"kind": "logistic_regression"},
       "features": ["age"], "label": {"column": "outcome", "positive": "1"}, "training": {"rounds": 3}, "minSites": 2}
      """;
  @TempDir static Path dir;
  static SecuredCoordinator c;
  static HttpClient http;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
    http = HttpClient.newBuilder().sslContext(c.tls(null, null)).connectTimeout(Duration.ofSeconds(5))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  @AfterAll static void stop() {
    c.close();
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static URI uri(String path) {
    return URI.create("https://127.0.0.1:" + c.coordinator.apiPort() + path);
  }

  @Test void dashboardPagesAreServedWithoutACredentialUnderAScriptsFromSelfOnlyPolicy() throws Exception {
    HttpResponse<String> index = get("/ui/", null);
    assertEquals(200, index.statusCode());
    assertTrue(index.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), index.headers().toString());
    String csp = index.headers().firstValue("Content-Security-Policy").orElse("");
    assertTrue(csp.contains("script-src 'self';"), csp);
    assertTrue(csp.contains("default-src 'none'"), csp);
    assertFalse(csp.contains("unsafe-eval"), csp);
    assertEquals("nosniff", index.headers().firstValue("X-Content-Type-Options").orElse(""));
    Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(index.body());
    int count = 0;
    while (scripts.find()) {
      count++;
      assertTrue(scripts.group(1).contains("src=\""), "inline script in index.html: " + scripts.group());
    }
    assertEquals(2, count, "uPlot and app.js");
    for (String file : List.of("app.js", "dashboard.css", "favicon.svg", "vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.min.css")) {
      HttpResponse<String> r = get("/ui/" + file, null);
      assertEquals(200, r.statusCode(), file);
      assertTrue(r.headers().firstValue("Content-Security-Policy").isPresent(), file);
      assertTrue(index.body().contains("\"" + file + "\""), "index.html refers to " + file);
    }
    assertTrue(get("/ui/vendor/uplot/uPlot.iife.min.js", null).body().contains("uPlot"));
  }

  @Test void uiWithoutSlashRedirectsToTheDashboard() throws Exception {
    HttpResponse<String> r = get("/ui", null);
    assertEquals(302, r.statusCode());
    assertEquals("/ui/", r.headers().firstValue("Location").orElse(""));
  }

  @Test void missingDashboardFileIsA404AndTheWebJarsOtherFilesAreNotServed() throws Exception {
    assertEquals(404, get("/ui/nothing-here.js", null).statusCode());
    assertEquals(404, get("/ui/vendor/uplot/../../../../META-INF/MANIFEST.MF", null).statusCode());
    assertEquals(404, get("/ui/vendor/uplot/package.json", null).statusCode());
  }

  @Test void eventStreamAdmitsTheOwnerAndAuditorsOnly() throws Exception {
    String id = submit();
    assertEquals(401, get("/api/studies/" + id + "/events", null).statusCode());
    assertEquals(403, get("/api/studies/" + id + "/events", c.bobToken).statusCode(), "another researcher");
    assertEquals(403, get("/api/studies/" + id + "/events", c.adminToken).statusCode(), "an administrator reads no study");
    assertEquals(404, get("/api/studies/00000000-0000-0000-0000-000000000000/events", c.aliceToken).statusCode());
    for (String token : List.of(c.aliceToken, c.auditorToken)) {
      try (Events events = Events.open(id, token)) {
        Event first = events.next();
        assertEquals("study", first.name());
        assertEquals(id, first.data().path("id").asText());
        assertEquals("SUBMITTED", first.data().path("status").asText());
      }
    }
  }

  @Test void eventStreamSendsEachChangeAndClosesWhenTheStudyEnds() throws Exception {
    String id = submit();
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      try (Events events = Events.open(id, c.aliceToken)) {
        assertEquals("SUBMITTED", events.next().data().path("status").asText());
        assertEquals(200, c.send(c.aliceToken, "POST", "/api/studies/" + id + "/stop", "").status());
        List<Event> rest = events.rest();
        assertEquals("STOPPED", rest.get(rest.size() - 2).data().path("status").asText(), rest.toString());
        assertEquals("end", rest.get(rest.size() - 1).name(), rest.toString());
        assertEquals("STOPPED", rest.get(rest.size() - 1).data().path("status").asText());
      }
    });
  }

  @Test void eventStreamClosesOnceTheCredentialIsRevoked() throws Exception {
    SecuredCoordinator.Reply issued = c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"carol\", \"role\": \"auditor\"}");
    assertEquals(201, issued.status(), String.valueOf(issued.body()));
    String carol = issued.body().path("token").asText();
    String id = submit();
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      try (Events events = Events.open(id, carol)) {
        assertEquals("study", events.next().name());
        assertEquals(200, c.send(c.adminToken, "DELETE", "/api/users/carol", null).status());
        List<Event> rest = events.rest();
        Event last = rest.get(rest.size() - 1);
        assertEquals("end", last.name(), rest.toString());
        assertEquals("credential revoked", last.data().path("reason").asText());
      }
    });
  }

  @Test void oneCallerMayHoldFourStreamsAndAFifthGets429WhileOthersStillGetTheirs() throws Exception {
    String erin = issueAuditor("erin"), frank = issueAuditor("frank");
    String id = submit();
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      List<Events> open = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          open.add(Events.open(id, erin));
          assertEquals("study", open.get(i).next().name());
        }
        HttpResponse<String> fifth = get("/api/studies/" + id + "/events", erin);
        assertEquals(429, fifth.statusCode(), fifth.body());
        assertTrue(fifth.body().contains("erin already has 4 event streams open"), fifth.body());
        try (Events other = Events.open(id, frank)) {
          assertEquals("study", other.next().name(), "another user's stream is not affected");
        }
      } finally {
        for (Events e : open) e.close();
      }
      // Once the client has gone, the stream no longer counts (the server notices the closed connection).
      int status;
      do {
        Thread.sleep(100);
        HttpRequest req = HttpRequest.newBuilder(uri("/api/studies/" + id + "/events"))
            .header("Authorization", "Bearer " + erin).build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        status = r.statusCode();
        r.body().close();
      } while (status == 429);
      assertEquals(200, status);
    });
  }

  private static String issueAuditor(String name) throws Exception {
    SecuredCoordinator.Reply issued = c.send(c.adminToken, "POST", "/api/users", "{\"name\": \"" + name + "\", \"role\": \"auditor\"}");
    assertEquals(201, issued.status(), String.valueOf(issued.body()));
    return issued.body().path("token").asText();
  }

  private static String submit() throws Exception {
    SecuredCoordinator.Reply r = c.send(c.aliceToken, "POST", "/api/studies", STUDY);
    assertEquals(201, r.status(), String.valueOf(r.body()));
    return r.body().path("id").asText();
  }

  record Event(String name, JsonNode data) {}

  /** A client of {@code GET /api/studies/{id}/events}, reading events as they come. */
  static final class Events implements AutoCloseable {
    private final InputStream body;
    private final BufferedReader reader;

    private Events(InputStream body) {
      this.body = body;
      this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
    }

    static Events open(String id, String token) throws Exception {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri("/api/studies/" + id + "/events"))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofInputStream());
      assertEquals(200, r.statusCode());
      assertEquals("text/event-stream; charset=utf-8", r.headers().firstValue("Content-Type").orElse(""));
      return new Events(r.body());
    }

    /** The next event, or null at the end of the stream. */
    Event next() throws Exception {
      String name = null;
      StringBuilder data = new StringBuilder();
      for (String line; (line = reader.readLine()) != null; ) {
        if (line.isEmpty()) {
          if (name != null) return new Event(name, SecuredCoordinator.JSON.readTree(data.toString()));
          continue;
        }
        if (line.startsWith("event: ")) name = line.substring(7);
        else if (line.startsWith("data: ")) data.append(line.substring(6));
      }
      return null;
    }

    /** Every event until the server closes the stream. */
    List<Event> rest() throws Exception {
      List<Event> out = new ArrayList<>();
      for (Event e; (e = next()) != null; ) out.add(e);
      return out;
    }

    @Override public void close() throws Exception {
      body.close();
    }
  }
}
