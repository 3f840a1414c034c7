package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonOutputTest {
  @Test void flatObjectsEscapeStringsAndWriteNonFiniteNumbersAsNull() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("s", "a \"quoted\" \\ path\n\u0001");
    m.put("i", 42);
    m.put("d", 1.5);
    m.put("nan", Double.NaN);
    m.put("none", null);
    m.put("flag", true);
    assertEquals("{\"s\": \"a \\\"quoted\\\" \\\\ path\\n\\u0001\", \"i\": 42, \"d\": 1.5, \"nan\": null, "
        + "\"none\": null, \"flag\": true}", JsonOutput.line(m));
  }

  @Test void eachRowIsAppendedAsOneLineWithBenchCommitAndTimestamp(@TempDir Path dir) throws Exception {
    JsonOutput out = new JsonOutput();
    out.file = dir.resolve("rows.jsonl");
    out.write("train", Map.of("model", "m1"));
    out.write("train", Map.of("model", "m2"));
    List<String> lines = Files.readAllLines(out.file);
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).startsWith("{\"bench\": \"train\", \"model\": \"m1\", \"commit\": "), lines.get(0));
    assertTrue(lines.get(1).matches(".*\"timestamp\": \"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\"}"), lines.get(1));
  }

  @Test void withoutTheOptionNothingIsWritten() {
    new JsonOutput().write("train", Map.of("model", "m"));   // no file, no exception
  }

  @Test void statsTakeTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
    assertEquals(new Stats(3, 1, 9), Stats.of(new double[] {9, 1, 3}));
    assertEquals(new Stats(2.5, 1, 4), Stats.of(new double[] {4, 1, 3, 2}));
  }
}
