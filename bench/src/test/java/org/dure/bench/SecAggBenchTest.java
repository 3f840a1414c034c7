package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SecAggBenchTest {
  @Test void secaggSubcommandWritesOneExactJsonLinePerSiteCountAndSize(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("secagg.jsonl");
    int code = new CommandLine(new Bench()).execute("secagg", "--sites", "3,12", "--sizes", "5000",
        "--timed-sites", "1", "--dropout", "0.2", "--json", json.toString());
    assertEquals(0, code);
    List<String> lines = Files.readAllLines(json);
    assertEquals(2, lines.size());
    for (String line : lines) {
      for (String key : List.of("bench", "sites", "params", "site_mask_ms_median", "aes_ctr_keystream_ms",
          "coord_unmask_ms_0pct", "coord_unmask_ms_dropout", "coord_heap_peak_mib", "bytes_per_site", "bytes_over_4d",
          "commit", "timestamp")) {
        assertTrue(line.contains("\"" + key + "\": "), key + " missing in " + line);
      }
      assertTrue(line.contains("\"exact\": true"), line);
    }
  }

  @Test void badSiteCountIsAUsageError() {
    assertEquals(2, new CommandLine(new Bench()).execute("secagg", "--sites", "1"));
    assertEquals(2, new CommandLine(new Bench()).execute("secagg", "--dropout", "0.7"));
  }
}
