package org.dure.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, faults: a corrupt state file or ledger line at start is a refusal naming the file (and line), never a silent
 * reset — the coordinator does not start, and the files are left as they were for the operator to inspect.
 */
class CorruptStateAtStartTest {
  @TempDir Path dir;

  private static Throwable startFailure(SecuredCoordinator c) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> Coordinator.start(
        CoordinatorConfig.loopback(c.dataDir(), c.admin.coordinatorDir())).toCompletionStage().toCompletableFuture().get());
    return e.getCause();
  }

  private static String submit(SecuredCoordinator c) throws Exception {
    SecuredCoordinator.Reply r = c.send(c.aliceToken, "POST", "/api/studies", StudyApiTest.STUDY, "Content-Type", "application/json");
    assertEquals(201, r.status(), String.valueOf(r.body()));
    return r.body().path("id").asText();
  }

  @Test void aCorruptStudyStateFileIsRefusedNamingTheFile() throws Exception {
    try (SecuredCoordinator c = new SecuredCoordinator(dir)) {
      String id = submit(c);
      Path stored = c.dataDir().resolve("state/studies").resolve(id + ".json");
      for (int i = 0; i < 50 && !Files.exists(stored); i++) Thread.sleep(100);
      c.coordinator.close();
      String before = Files.readString(stored);
      Files.writeString(stored, before.substring(0, before.length() / 2));
      Throwable t = startFailure(c);
      assertTrue(t.getMessage().contains(stored.getFileName().toString()), t.toString());
      assertEquals(before.substring(0, before.length() / 2), Files.readString(stored), "the file is left as it was");
      java.io.StringWriter err = new java.io.StringWriter();
      int code = new picocli.CommandLine(new CoordinatorMain()).setErr(new java.io.PrintWriter(err, true)).execute(
          "--api-port", "0", "--agent-port", "0", "--hazelcast-port", "0", "--host", "127.0.0.1",
          "--data-dir", c.dataDir().toString(), "--pki", c.admin.coordinatorDir().toString());
      assertEquals(1, code, err.toString());
      assertTrue(err.toString().startsWith("dure coordinator: cannot start: the state file ") && err.toString().contains(id + ".json")
          && !err.toString().contains("\tat "), "one plain sentence, no stack trace: " + err);
      Files.writeString(stored, before);
      c.coordinator = Coordinator.start(CoordinatorConfig.loopback(c.dataDir(), c.admin.coordinatorDir()))
          .toCompletionStage().toCompletableFuture().get();
      assertEquals(200, c.send(c.aliceToken, "GET", "/api/studies/" + id, null).status(), "restored once the file is");
    }
  }

  @Test void aCorruptLedgerLineIsRefusedNamingTheFileAndLine() throws Exception {
    try (SecuredCoordinator c = new SecuredCoordinator(dir)) {
      submit(c);
      c.coordinator.close();
      Path entries = c.dataDir().resolve("ledger/entries.jsonl");
      List<String> lines = Files.readAllLines(entries, StandardCharsets.UTF_8);
      assertEquals(1, lines.size(), "the submission: " + lines);
      lines.set(0, lines.get(0).replace("\"type\":\"", "\"type\":\"X"));
      Files.write(entries, lines, StandardCharsets.UTF_8);
      Throwable t = startFailure(c);
      assertTrue(t.getMessage().contains("entries.jsonl") && t.getMessage().contains("line 1"), t.toString());
      c.coordinator = null;
    }
  }
}
