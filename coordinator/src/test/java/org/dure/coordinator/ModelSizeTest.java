package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dure.coordinator.SecuredCoordinator.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 13, finding 5: a huge {@code model.hiddenLayers} overflowed an {@code int} and was allocated on the event loop
 * at submission and again at every restart. The parser bounds the model; nothing of its size is built before the
 * study starts, and then on a worker thread.
 */
class ModelSizeTest {
  @TempDir static Path dir;
  static SecuredCoordinator c;

  @BeforeAll static void start() throws Exception {
    c = new SecuredCoordinator(dir);
  }

  @AfterAll static void stop() {
    c.close();
  }

  private static String study(String layers) {
    return StudyApiTest.STUDY.replace("[8]", layers);
  }

  @ParameterizedTest @CsvSource(delimiter = ';', value = {
      "[2147483647, 2]; model.hiddenLayers[0]",
      "[100000, 100000]; model.hiddenLayers[0]",
      "[4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096]; model.hiddenLayers",
      "[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]; model.hiddenLayers"})
  void hugeHiddenLayersAreRefusedAt400QuicklyNamingTheField(String layers, String field) throws Exception {
    long t0 = System.nanoTime();
    Reply r = c.send(c.aliceToken, "POST", "/api/studies", study(layers), "Content-Type", "application/json");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(400, r.status(), String.valueOf(r.body()));
    assertEquals(field, r.body().path("field").asText(), r.body().toString());
    assertTrue(ms < 2_000, "answered in " + ms + " ms");
    Reply health = c.send(null, "GET", "/health", null);
    assertEquals(200, health.status(), "the event loop is free");
  }

  /** The largest model a study may have is accepted, and submitting it builds nothing (it is built when it starts). */
  @Test void modelAtTheCapIsAcceptedAndStartsWithItsModelBuiltOffTheEventLoop() throws Exception {
    Reply r = c.send(c.aliceToken, "POST", "/api/studies", study("[3000, 3000]"), "Content-Type", "application/json");
    assertEquals(201, r.status(), String.valueOf(r.body()));
    String id = r.body().path("id").asText();
    Reply started = c.send(c.aliceToken, "POST", "/api/studies/" + id + "/start", null);
    assertEquals(202, started.status(), String.valueOf(started.body()));
    JsonNode v = null;
    for (int i = 0; i < 100; i++) {
      v = c.send(c.aliceToken, "GET", "/api/studies/" + id, null).body();
      if (v.path("statusReason").asText().startsWith("0 of at least")) break;
      Thread.sleep(100);
    }
    assertEquals("WAITING_FOR_SITES", v.path("status").asText(), v.toString());
    assertTrue(v.path("statusReason").asText().startsWith("0 of at least 2 sites accepted"), v.toString());
    Reply again = c.send(c.aliceToken, "POST", "/api/studies/" + id + "/start", null);
    assertEquals(409, again.status());
    Reply stopped = c.send(c.aliceToken, "POST", "/api/studies/" + id + "/stop", null);
    assertEquals(200, stopped.status());
  }

  /**
   * A study stored before the limits existed is not rebuilt at every restart: the coordinator starts, and the study
   * stays listed, FAILED with the reason.
   */
  @Test void storedOversizedStudyIsNotRebuiltAtRestart() throws Exception {
    Reply r = c.send(c.aliceToken, "POST", "/api/studies", study("[8]"), "Content-Type", "application/json");
    assertEquals(201, r.status());
    String id = r.body().path("id").asText();
    Path stored = c.dataDir().resolve("state/studies").resolve(id + ".json");
    for (int i = 0; i < 50 && !Files.exists(stored); i++) Thread.sleep(100);
    c.restart(); // written through before the member shuts down
    String json = Files.readString(stored);
    assertTrue(json.contains("\"hiddenLayers\":[8]"), json);
    c.coordinator.close();
    Files.writeString(stored, json.replace("\"hiddenLayers\":[8]", "\"hiddenLayers\":[100000,100000]"));
    long t0 = System.nanoTime();
    c.coordinator = Coordinator.start(CoordinatorConfig.loopback(c.dataDir(), c.admin.coordinatorDir()))
        .toCompletionStage().toCompletableFuture().get();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < 20_000, "restarted in " + ms + " ms");
    JsonNode list = c.send(c.auditorToken, "GET", "/api/studies", null).body();
    JsonNode found = null;
    for (JsonNode s : list) if (s.path("id").asText().equals(id)) found = s;
    assertEquals("FAILED", found.path("status").asText(), String.valueOf(found));
    assertTrue(found.path("statusReason").asText().contains("model.hiddenLayers[0]"), found.toString());
  }
}
