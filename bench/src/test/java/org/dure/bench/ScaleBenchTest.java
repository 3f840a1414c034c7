package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ScaleBenchTest {
  /** Three real agents, one secure round: the table has one row for 3 sites and the JSON line every field. */
  @Test @Timeout(60) void scaleSubcommandRunsRealAgentsThroughASecureRoundAndPrintsOneRowPerSiteCount(@TempDir Path dir)
      throws Exception {
    Path json = dir.resolve("scale.jsonl");
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = System.out;
    int code;
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      code = new CommandLine(new Bench()).execute("scale", "--sites", "3", "--rounds", "1", "--json", json.toString());
    } finally {
      System.setOut(out);
    }
    String table = captured.toString(StandardCharsets.UTF_8);
    out.print(table);
    assertEquals(0, code, table);
    List<String> rows = table.lines().filter(l -> l.matches("\\s+3\\s+\\d+\\s+\\d+\\s+\\d+.*")).toList();
    assertEquals(1, rows.size(), table);
    List<String> lines = Files.readAllLines(json);
    assertEquals(1, lines.size());
    for (String key : List.of("sites", "rounds", "neighbours", "threshold", "round_ms_median", "keys_ms_median",
        "shares_ms_median", "masked_input_ms_median", "unmasking_ms_median", "other_ms_median", "coord_cpu_ms_per_round",
        "heap_after_gc_mib", "site_in_kib_per_round_median", "site_out_kib_per_round_median", "commit", "timestamp")) {
      assertTrue(lines.get(0).contains("\"" + key + "\": "), key + " missing in " + lines.get(0));
    }
    assertTrue(lines.get(0).contains("\"sites\": 3,"), lines.get(0));
    assertTrue(!lines.get(0).contains("_median\": null"), "a stage was not measured: " + lines.get(0));
  }

  @Test void oneSiteIsAUsageError() {
    assertEquals(2, new CommandLine(new Bench()).execute("scale", "--sites", "1"));
  }
}
