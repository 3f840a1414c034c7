package org.dure.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainBenchTest {
  @Test void trainSubcommandWritesOneJsonLinePerModel(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("train.jsonl");
    int code = new CommandLine(new Bench()).execute("train", "--rows", "600", "--cols", "8", "--epochs", "2",
        "--warmup", "0", "--json", json.toString());
    assertEquals(0, code);
    List<String> lines = Files.readAllLines(json);
    assertEquals(2, lines.size());
    assertTrue(lines.get(0).contains("\"model\": \"logistic regression 8-1\""), lines.get(0));
    assertTrue(lines.get(1).contains("\"model\": \"mlp 8-256-256-1 relu\""), lines.get(1));
    for (String line : lines) {
      for (String key : List.of("bench", "rows", "batch", "samples_per_s_median", "min", "max", "engine", "commit",
          "timestamp")) {
        assertTrue(line.contains("\"" + key + "\": "), key + " missing in " + line);
      }
    }
  }

  @Test void plainNd4jEngineGivesTheSameLossAsTheLocalTrainer(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("train.jsonl");
    for (String engine : List.of("dure", "nd4j-ops")) {
      assertEquals(0, new CommandLine(new Bench()).execute("train", "--rows", "700", "--cols", "5", "--epochs", "1",
          "--warmup", "1", "--batch", "64", "--engine", engine, "--json", json.toString()));
    }
    List<String> lines = Files.readAllLines(json);
    for (int i = 0; i < 2; i++) {
      double dure = loss(lines.get(i)), plain = loss(lines.get(i + 2));
      assertEquals(dure, plain, 1e-4, lines.get(i) + " vs " + lines.get(i + 2));
    }
  }

  @Test void unknownModelIsAUsageError() {
    assertEquals(2, new CommandLine(new Bench()).execute("train", "--rows", "10", "--models", "resnet"));
    assertEquals(2, new CommandLine(new Bench()).execute("train", "--rows", "10", "--engine", "torch"));
  }

  private static double loss(String line) {
    return Double.parseDouble(line.replaceAll(".*\"loss\": ([-0-9.eE]+).*", "$1"));
  }
}
