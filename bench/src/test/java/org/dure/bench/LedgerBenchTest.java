package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LedgerBenchTest {
  @Test void ledgerSubcommandWritesOneJsonLinePerModeAndAppenderCountAndCleansUp(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("ledger.jsonl");
    Path logs = dir.resolve("logs");
    int code = new CommandLine(new Bench()).execute("ledger", "--appenders", "1,3", "--entries", "40", "--runs", "1",
        "--verify", "--dir", logs.toString(), "--json", json.toString());
    assertEquals(0, code);
    List<String> lines = Files.readAllLines(json);
    assertEquals(4, lines.size());
    assertTrue(lines.get(0).contains("\"mode\": \"group commit\", \"appenders\": 1"), lines.get(0));
    assertTrue(lines.get(1).contains("\"mode\": \"group commit\", \"appenders\": 3"), lines.get(1));
    assertTrue(lines.get(2).contains("\"mode\": \"fsync per entry\", \"appenders\": 1"), lines.get(2));
    assertTrue(lines.get(3).contains("\"mode\": \"fsync per entry\", \"appenders\": 3"), lines.get(3));
    for (String line : lines) {
      for (String key : List.of("entries_per_s_median", "append_wait_ms_median", "sign_per_s_one_thread",
          "fsync_per_s_one_thread", "verified_per_s", "commit", "timestamp")) {
        assertTrue(line.contains("\"" + key + "\": "), key + " missing in " + line);
      }
    }
    try (var left = Files.list(logs)) {
      assertEquals(0, left.count(), "temporary logs left behind");
    }
  }

  @Test void badAppenderCountIsAUsageError() {
    assertEquals(2, new CommandLine(new Bench()).execute("ledger", "--appenders", "0"));
  }
}
