package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class DataBenchTest {
  @Test void dataSubcommandWritesOneJsonLinePerSizeAndCleansUp(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("data.jsonl");
    Path work = dir.resolve("work");
    int code = new CommandLine(new Bench()).execute("data", "--rows", "3000,5000", "--dir", work.toString(),
        "--json", json.toString());
    assertEquals(0, code);
    List<String> lines = Files.readAllLines(json);
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).contains("\"bench\": \"data\", \"rows\": 3000"), lines.get(0));
    assertTrue(lines.get(1).contains("\"rows\": 5000"), lines.get(1));
    for (String line : lines) {
      for (String key : List.of("fileBytes", "recordsOut", "pseudonymiseSeconds", "prepareSeconds", "encodeSeconds",
          "rowsPerSecond", "peakHeapBytes", "peakLiveHeapBytes", "maxHeapBytes")) {
        assertTrue(line.contains("\"" + key + "\": "), key + " missing in " + line);
      }
    }
    try (var left = Files.list(work)) {
      assertEquals(0, left.count(), "temporary extracts left behind");
    }
  }

  @Test void aSizeBelowOneIsAUsageError() {
    assertEquals(2, new CommandLine(new Bench()).execute("data", "--rows", "0"));
  }
}
