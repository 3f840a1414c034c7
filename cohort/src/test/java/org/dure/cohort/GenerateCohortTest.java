package org.dure.cohort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class GenerateCohortTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = new CommandLine(new GenerateCohort());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }

  @Test void printsEachFileWithRowsAndPrevalence() {
    int code = run("--sites", "2", "--patients", "120", "--seed", "5", "--out", dir.toString(), "--missing-rate", "0.01");
    assertEquals(0, code, err.toString());
    String printed = out.toString();
    assertTrue(printed.matches("(?s)wrote .*hospital-a\\.csv: 120 rows, prevalence \\d+\\.\\d% \\(\\d+ positive\\)\n"
        + "wrote .*hospital-b\\.csv: 120 rows, .*\nwrote .*truth\\.json: .*"), printed);
    assertTrue(Files.exists(dir.resolve("hospital-b.csv")));
  }

  @Test void acceptsOneSizePerSite() throws Exception {
    assertEquals(0, run("--patients", "30,20,10", "--out", dir.toString()), err.toString());
    assertEquals(3, out.toString().lines().filter(l -> l.contains(".csv")).count());
    assertEquals(21, Files.readAllLines(dir.resolve("hospital-b.csv")).size());
  }

  @Test void invalidMissingRateIsAUsageError() {
    int code = run("--missing-rate", "0.9", "--out", dir.toString());
    assertEquals(2, code);
    assertTrue(err.toString().startsWith("missingRate must be between 0 and 0.5, was 0.9"), err.toString());
  }
}
