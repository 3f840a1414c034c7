package org.dure.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code dure study report ID}: a study's summary (status, sites with their states and reasons, the round
 * table) and, when the coordinator has one, the multi-centre validation report of the final model (per site and
 * pooled, with flagged subgroups).
 */
@Command(name = "report", mixinStandardHelpOptions = true, footer = Exit.HELP,
    description = {"A study's summary: status, sites with their states and reasons, the round table, and the"
        + " multi-centre validation report (per site and pooled) when the coordinator has one."})
final class StudyReport extends ClientCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The study's id.") String id;

  @Option(names = "--json", description = "Print {\"study\", \"rounds\", \"report\"} as JSON (report null when there is none).")
  boolean json;

  @Override int run(Api api, PrintWriter out) throws ApiException, IOException {
    String path = "api/studies/" + id;
    JsonNode study = api.get(path);
    JsonNode rounds = api.get(path + "/rounds");
    JsonNode report = null;
    String noReport = null;
    try {
      report = api.get(path + "/report");
    } catch (ApiException e) {
      if (e.exitCode != Exit.NOT_FOUND) throw e;
      noReport = e.getMessage();
    }
    if (json) {
      ObjectNode all = Api.JSON.createObjectNode();
      all.set("study", study);
      all.set("rounds", rounds);
      all.set("report", report);
      out.println(Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
      return Exit.OK;
    }
    out.printf("study    %s \"%s\"%n", study.path("id").asText(), study.path("name").asText());
    out.printf("owner    %s%n", study.path("owner").asText());
    out.printf("status   %s: %s%n", study.path("status").asText(), Tables.text(study.path("statusReason")));
    out.printf("rounds   %d of %d completed; created %s, started %s, ended %s%n", study.path("completedRounds").asInt(),
        study.path("rounds").asInt(), Tables.text(study.path("createdAt")), Tables.text(study.path("startedAt")),
        Tables.text(study.path("endedAt")));
    out.println();
    Tables.sites(study, out);
    out.println();
    out.println(Tables.ROUND_HEADER);
    for (JsonNode r : rounds) out.println(Tables.round(r));
    out.println();
    if (report == null) {
      out.println("validation report: none (" + noReport + ")");
    } else {
      validation(report, out);
    }
    return Exit.OK;
  }

  /** The validation report's figures per site and pooled, then the flagged subgroups. */
  private static void validation(JsonNode report, PrintWriter out) {
    out.printf(Locale.ROOT, "validation report of the final model (threshold %s)%n", Tables.num(report.path("threshold"), 2));
    out.println("site          status        n    pos  AUC (95% CI)            acc   sens   spec  brier    ECE");
    for (JsonNode s : report.path("sites")) {
      group(out, s.path("site").asText(), s.path("status").asText(), s.path("overall"),
          s.path("reason").isTextual() ? "  " + s.path("reason").asText() : "");
    }
    group(out, "pooled", "", report.path("pooled"), "");
    StringBuilder flagged = new StringBuilder();
    for (JsonNode g : report.path("pooledSubgroups")) {
      if (g.path("flagged").asBoolean()) flagged.append(flagged.length() == 0 ? "" : ", ").append(g.path("column").asText())
          .append('=').append(g.path("level").asText()).append(" (AUC ").append(Tables.num(g.path("metrics").path("auc"), 3)).append(')');
    }
    for (JsonNode s : report.path("sites")) {
      for (JsonNode g : s.path("subgroups")) {
        if (g.path("flagged").asBoolean()) flagged.append(flagged.length() == 0 ? "" : ", ").append(s.path("site").asText()).append(' ')
            .append(g.path("column").asText()).append('=').append(g.path("level").asText())
            .append(" (AUC ").append(Tables.num(g.path("metrics").path("auc"), 3)).append(')');
      }
    }
    out.println("flagged subgroups: " + (flagged.length() == 0 ? "none" : flagged));
    if (report.path("flagRule").isTextual()) out.println("  (" + report.path("flagRule").asText() + ")");
  }

  private static void group(PrintWriter out, String name, String status, JsonNode g, String note) {
    if (!g.isObject()) {
      out.printf(Locale.ROOT, "%-13s %-9s %s%s%n", name, status, "-", note);
      return;
    }
    out.printf(Locale.ROOT, "%-13s %-9s %6d %6d  %s (%s-%s)  %6s %6s %6s %6s %6s%s%n", name, status, g.path("count").asLong(),
        g.path("positives").asLong(), Tables.num(g.path("auc"), 3), Tables.num(g.path("aucLower"), 3), Tables.num(g.path("aucUpper"), 3),
        Tables.num(g.path("accuracy"), 3), Tables.num(g.path("sensitivity"), 3), Tables.num(g.path("specificity"), 3),
        Tables.num(g.path("brier"), 3), Tables.num(g.path("expectedCalibrationError"), 3), note);
  }
}
