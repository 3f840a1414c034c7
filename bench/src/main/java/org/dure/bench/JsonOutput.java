package org.dure.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * The {@code --json FILE} option every bench subcommand mixes in ({@code @Mixin JsonOutput json}): each table row
 * becomes one flat JSON object on its own line, appended to FILE, with {@code bench}, the row's own fields, then
 * {@code commit} (short git hash, or null) and {@code timestamp} (UTC, ISO-8601).
 */
public final class JsonOutput {
  @Option(names = "--json", paramLabel = "FILE", description = "Append one JSON line per table row to FILE.")
  Path file;

  private String commit;
  private boolean commitLooked;

  /** Appends one row if {@code --json} was given; fields are written in insertion order. */
  void write(String bench, Map<String, ?> row) {
    if (file == null) return;
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("bench", bench);
    all.putAll(row);
    all.put("commit", commit());
    all.put("timestamp", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    try {
      Files.writeString(file, line(all) + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to --json file " + file, e);
    }
  }

  /** A flat JSON object: strings, numbers (non-finite ones as null), booleans and nulls. */
  static String line(Map<String, ?> fields) {
    StringBuilder s = new StringBuilder("{");
    for (Map.Entry<String, ?> e : fields.entrySet()) {
      if (s.length() > 1) s.append(", ");
      string(s, e.getKey());
      s.append(": ");
      Object v = e.getValue();
      if (v == null) {
        s.append("null");
      } else if (v instanceof Double || v instanceof Float) {
        double d = ((Number) v).doubleValue();
        s.append(Double.isFinite(d) ? Double.toString(d) : "null");
      } else if (v instanceof Number || v instanceof Boolean) {
        s.append(v);
      } else {
        string(s, v.toString());
      }
    }
    return s.append('}').toString();
  }

  private static void string(StringBuilder s, String v) {
    s.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> s.append("\\\"");
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        case '\r' -> s.append("\\r");
        case '\t' -> s.append("\\t");
        default -> {
          if (c < 0x20) s.append(String.format("\\u%04x", (int) c));
          else s.append(c);
        }
      }
    }
    s.append('"');
  }

  /** Short hash of the checked-out commit, or null when git or a repository is not at hand. */
  private String commit() {
    if (!commitLooked) {
      commitLooked = true;
      try {
        Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 && out.matches("[0-9a-f]{4,40}")) commit = out;
      } catch (IOException e) {
        commit = null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return commit;
  }
}
