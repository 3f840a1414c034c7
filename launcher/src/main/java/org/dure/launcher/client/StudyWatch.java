package org.dure.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dure study watch ID}: follows a study until it ends. Prints each change of status, one line per round
 * once the sites have measured that round's model (their validation metrics arrive with the next round), and
 * the outcome; on a terminal, a progress bar is redrawn in place below the lines. Exits 0 when the study
 * COMPLETED, 1 when it FAILED or was STOPPED.
 */
@Command(name = "watch", mixinStandardHelpOptions = true, footer = Exit.HELP,
    description = {"Follow a study to its end: a progress bar, one line per round (round, sites, validation loss,"
        + " AUC, accuracy, seconds, ε per site, sites that sat out and why) and the outcome.",
        "Exits 0 when the study COMPLETED, 1 when it FAILED or was STOPPED."})
final class StudyWatch extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The study's id.") String id;

  @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "1",
      description = "How often to ask the coordinator (default: ${DEFAULT-VALUE} s).")
  double interval;

  @Option(names = "--progress", paramLabel = "auto|always|never", defaultValue = "auto",
      description = "Draw the progress bar: auto (only on a terminal, default), always or never.")
  String progress;

  @Override int run(Api api, PrintWriter out) throws ApiException, InterruptedException {
    if (!(interval > 0)) throw new ApiException(Exit.USAGE, 0, null, "--interval must be > 0, was " + interval, null);
    boolean bar = switch (progress) {
      case "always" -> true;
      case "never" -> false;
      case "auto" -> System.console() != null;
      default -> throw new ApiException(Exit.USAGE, 0, null, "--progress must be auto, always or never, was " + progress, null);
    };
    String path = "api/studies/" + id;
    long t0 = System.nanoTime();
    String lastStatus = "";
    int printed = 0;
    boolean header = false;
    while (true) {
      JsonNode study = api.get(path);
      String status = study.path("status").asText();
      boolean ended = status.matches("COMPLETED|STOPPED|FAILED");
      String line = status + ": " + Tables.text(study.path("statusReason"));
      if (!line.equals(lastStatus) && !ended) {
        println(out, bar, "  " + line);
        lastStatus = line;
      }
      if (study.path("completedRounds").asInt() > printed || ended) {
        for (JsonNode r : api.get(path + "/rounds")) {
          int n = r.path("round").asInt();
          if (n <= printed) continue;
          // The sites measure round n's model when round n + 1 (or the final evaluation) starts, one by one: wait for
          // all of them unless the study has moved on or ended without them.
          boolean done = r.path("status").asText().matches("COMPLETED|ABORTED");
          boolean measured = r.path("pooled").isObject() && r.path("bySite").size() >= r.path("participants").size();
          if (!done || !(measured || ended || study.path("completedRounds").asInt() >= n + 2)) break;
          if (!header) {
            println(out, bar, Tables.ROUND_HEADER);
            header = true;
          }
          println(out, bar, Tables.round(r));
          printed = n;
        }
      }
      if (ended) {
        println(out, bar, String.format(Locale.ROOT, "study %s %s after %d of %d rounds (watched %.1f s): %s", id, status,
            study.path("completedRounds").asInt(), study.path("rounds").asInt(), (System.nanoTime() - t0) / 1e9,
            Tables.text(study.path("statusReason"))));
        return "COMPLETED".equals(status) ? Exit.OK : Exit.STUDY_NOT_COMPLETED;
      }
      if (bar) drawBar(out, study);
      Thread.sleep((long) (interval * 1000));
    }
  }

  /** A line above the bar: clears the bar's line first when one is drawn. */
  private static void println(PrintWriter out, boolean bar, String line) {
    if (bar) out.print("\r\033[K");
    out.println(line);
    out.flush();
  }

  private static void drawBar(PrintWriter out, JsonNode study) {
    int total = Math.max(1, study.path("rounds").asInt()), done = study.path("completedRounds").asInt();
    int width = 30, filled = Math.min(width, done * width / total);
    out.printf(Locale.ROOT, "\r\033[K[%s%s] %d/%d rounds  %s", "#".repeat(filled), ".".repeat(width - filled), done, total,
        study.path("status").asText());
    out.flush();
  }
}
