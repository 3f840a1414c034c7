package org.dure.launcher.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Locale;

/** How the researcher commands print studies, sites and rounds (the same columns as {@code dure demo}). */
/** The round and site tables that `dure demo`, `dure rehearse` and `dure study watch|report` print alike. */
public final class Tables {
  public static final String ROUND_HEADER = "round  sites  aggregation  val_loss   val_auc  val_acc  seconds";

  private Tables() {}

  /**
   * One round: number, contributing sites, aggregation, pooled validation loss / AUC / accuracy, seconds,
   * then ε per site (differential privacy), the sites that sat out with their reasons, and aborted attempts.
   */
  public static String round(JsonNode r) {
    boolean init = r.path("round").asInt() == 0;
    JsonNode m = r.path("pooled");
    JsonNode secure = r.path("secureAggregation");
    int sites = init ? r.path("bySite").size() : secure.isObject() ? secure.path("survivors").size() : r.path("samples").size();
    String aggregation = init ? "-" : secure.isObject() ? "secure t=" + secure.path("threshold").asInt() : "plain";
    StringBuilder notes = new StringBuilder();
    StringBuilder eps = new StringBuilder();
    r.path("epsilonSpent").fields().forEachRemaining(e -> eps.append(eps.length() == 0 ? "  ε " : ", ")
        .append(e.getKey()).append('=').append(String.format(Locale.ROOT, "%.2f", e.getValue().asDouble())));
    notes.append(eps);
    r.path("dropped").fields().forEachRemaining(e -> notes.append("  ").append(e.getKey()).append(" sat out: ")
        .append(e.getValue().asText()));
    int retries = r.path("abortedAttempts").size();
    if (retries > 0) notes.append("  after ").append(retries).append(" aborted attempt(s): ")
        .append(r.path("abortedAttempts").get(retries - 1).path("reason").asText());
    if ("ABORTED".equals(r.path("status").asText())) notes.append("  aborted: ").append(r.path("abortReason").asText());
    return String.format(Locale.ROOT, "%5s  %5d  %-11s  %8s  %8s  %7s  %7.2f%s", init ? "init" : r.path("round").asText(), sites,
        aggregation, num(m.path("logLoss"), 4), num(m.path("auc"), 4), num(m.path("accuracy"), 3), r.path("seconds").asDouble(), notes);
  }

  /** The sites of a study: state, rows, and the reason a site is pending, declined, dropped or withdrew. */
  static void sites(JsonNode study, PrintWriter out) {
    siteLines(study).forEach(out::println);
  }

  /** {@link #sites(JsonNode, PrintWriter)} as lines, header first. */
  public static java.util.List<String> siteLines(JsonNode study) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    lines.add("site          state      rows   reason / data");
    study.path("sites").fields().forEachRemaining(e -> {
      JsonNode s = e.getValue();
      StringBuilder note = new StringBuilder(s.path("reason").isTextual() ? s.path("reason").asText() : "");
      JsonNode st = s.path("statistics");
      if (st.isObject()) {
        long dropped = st.path("rowsDroppedMissing").asLong() + st.path("rowsDroppedLabel").asLong();
        long missing = 0, unseen = 0;
        for (JsonNode n : st.path("missingByFeature")) missing += n.asLong();
        for (JsonNode n : st.path("unseenByFeature")) unseen += n.asLong();
        if (note.length() > 0) note.append("; ");
        note.append(String.format(Locale.ROOT, "%d missing values, %d rows dropped, %d unseen categories", missing, dropped, unseen));
      }
      lines.add(String.format(Locale.ROOT, "%-13s %-9s %6d   %s", e.getKey(), s.path("state").asText(), s.path("rows").asLong(), note));
    });
    return lines;
  }

  static String num(JsonNode n, int decimals) {
    return n.isNumber() ? String.format(Locale.ROOT, "%." + decimals + "f", n.asDouble()) : "-";
  }

  static String text(JsonNode n) {
    return n.isTextual() ? n.asText() : n.isNumber() || n.isBoolean() ? n.asText() : "-";
  }
}
