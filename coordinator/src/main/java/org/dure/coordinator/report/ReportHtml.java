package org.dure.coordinator.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The validation report as one self-contained HTML page: tables, and a ROC curve and a calibration plot drawn here as
 * inline SVG. Nothing is loaded from elsewhere (no script, font, stylesheet or image URL), so the page works offline
 * and inside a hospital network.
 */
public final class ReportHtml {
  private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
      "#7f7f7f", "#bcbd22", "#17becf"};
  private static final int SIZE = 320, PAD = 40;

  private ReportHtml() {}

  public static String render(StudyReport r) {
    StringBuilder h = new StringBuilder(16_384);
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Validation report: ")
        .append(esc(r.studyName())).append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:75em}")
        .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}")
        .append("th:first-child,td:first-child{text-align:left}.flag{background:#fdd}.muted{color:#777}")
        .append("figure{display:inline-block;margin:0 2em 1em 0}</style></head><body>\n");
    h.append("<h1>Validation report: ").append(esc(r.studyName())).append("</h1>\n<p>Study ").append(esc(r.studyId()))
        .append(", final model (version ").append(r.modelVersion()).append("), made ").append(r.createdAt())
        .append(". Threshold ").append(num(r.threshold())).append(": a prediction at or above it counts as positive.</p>\n");
    h.append("<p class=\"muted\">AUC interval: ").append(esc(r.aucInterval())).append(". Flag: ").append(esc(r.flagRule()))
        .append(". Sites send aggregate counts only; a subgroup smaller than a site's minimum cell size is suppressed.</p>\n");

    h.append("<h2>Per site and pooled</h2>\n<table><tr><th>site</th><th>status</th><th>n</th><th>positives</th><th>AUC (95% CI)</th>")
        .append("<th>accuracy</th><th>sensitivity</th><th>specificity</th><th>Brier</th><th>ECE</th></tr>\n");
    row(h, "pooled", "", r.pooled(), false);
    for (StudyReport.Site s : r.sites()) {
      if (s.overall() == null) {
        h.append("<tr><td>").append(esc(s.site())).append("</td><td>").append(esc(s.status())).append("</td><td colspan=\"8\" class=\"muted\">")
            .append(esc(s.reason() == null ? "" : s.reason())).append("</td></tr>\n");
      } else {
        row(h, s.site(), s.status(), s.overall(), false);
      }
    }
    h.append("</table>\n");

    List<String> names = new ArrayList<>();
    List<StudyReport.Group> groups = new ArrayList<>();
    names.add("pooled");
    groups.add(r.pooled());
    for (StudyReport.Site s : r.sites()) if (s.overall() != null) { names.add(s.site()); groups.add(s.overall()); }
    h.append("<figure>").append(rocSvg(names, groups)).append("<figcaption>ROC curves</figcaption></figure>");
    h.append("<figure>").append(calibrationSvg(names, groups)).append("<figcaption>Calibration: mean prediction against observed rate per bin")
        .append(" (area ∝ examples)</figcaption></figure>\n");

    h.append("<h2>Calibration (pooled)</h2>\n<table><tr><th>predicted</th><th>n</th><th>mean predicted</th><th>observed rate</th></tr>\n");
    for (StudyReport.Calibration c : r.pooled().calibration())
      h.append("<tr><td>").append(num(c.from())).append("–").append(num(c.to())).append("</td><td>").append(c.count())
          .append("</td><td>").append(num(c.meanPredicted())).append("</td><td>").append(num(c.observedRate())).append("</td></tr>\n");
    h.append("</table>\n");

    h.append("<h2>Subgroups, pooled over sites</h2>\n");
    subgroupTable(h, r.pooledSubgroups(), true);
    for (StudyReport.Site s : r.sites()) {
      if (s.overall() == null || s.subgroups().isEmpty()) continue;
      h.append("<h3>Subgroups at ").append(esc(s.site())).append(" (minimum cell size ").append(s.minCellSize()).append(")</h3>\n");
      subgroupTable(h, s.subgroups(), false);
    }
    h.append("</body></html>\n");
    return h.toString();
  }

  private static void subgroupTable(StringBuilder h, List<StudyReport.Subgroup> groups, boolean pooled) {
    if (groups.isEmpty()) {
      h.append("<p class=\"muted\">No subgroups.</p>\n");
      return;
    }
    h.append("<table><tr><th>subgroup</th><th>note</th><th>n</th><th>positives</th><th>AUC (95% CI)</th><th>accuracy</th>")
        .append("<th>sensitivity</th><th>specificity</th><th>Brier</th><th>ECE</th></tr>\n");
    for (StudyReport.Subgroup g : groups) {
      String name = g.column() + " = " + g.level();
      String note = g.flagged() ? "FLAGGED" : "";
      if (pooled && !g.suppressedAt().isEmpty()) note += (note.isEmpty() ? "" : "; ") + "suppressed at " + String.join(", ", g.suppressedAt());
      if (g.metrics() == null) {
        h.append("<tr><td>").append(esc(name)).append("</td><td colspan=\"9\" class=\"muted\">")
            .append(esc(g.suppressed() ? "suppressed (below the minimum cell size)" + (note.isEmpty() ? "" : "; " + note)
                : "not available")).append("</td></tr>\n");
      } else {
        row(h, name, note, g.metrics(), g.flagged());
      }
    }
    h.append("</table>\n");
  }

  private static void row(StringBuilder h, String name, String note, StudyReport.Group g, boolean flagged) {
    h.append(flagged ? "<tr class=\"flag\">" : "<tr>").append("<td>").append(esc(name)).append("</td><td>").append(esc(note))
        .append("</td><td>").append(g.count()).append("</td><td>").append(g.positives()).append("</td><td>")
        .append(num(g.auc())).append(" (").append(num(g.aucLower())).append("–").append(num(g.aucUpper())).append(")</td><td>")
        .append(num(g.accuracy())).append("</td><td>").append(num(g.sensitivity())).append("</td><td>")
        .append(num(g.specificity())).append("</td><td>").append(num(g.brier())).append("</td><td>")
        .append(num(g.expectedCalibrationError())).append("</td></tr>\n");
  }

  private static String rocSvg(List<String> names, List<StudyReport.Group> groups) {
    StringBuilder s = frame("false-positive rate", "true-positive rate");
    s.append(line(0, 0, 1, 1, "#bbb", "4 3"));
    for (int i = 0; i < groups.size(); i++) {
      List<double[]> roc = groups.get(i).roc();
      if (roc == null || roc.isEmpty()) continue;
      StringBuilder pts = new StringBuilder();
      for (double[] p : roc) pts.append(x(p[0])).append(',').append(y(p[1])).append(' ');
      s.append("<polyline fill=\"none\" stroke-width=\"").append(i == 0 ? 2.5 : 1.5).append("\" stroke=\"")
          .append(COLOURS[i % COLOURS.length]).append("\" points=\"").append(pts.toString().trim()).append("\"/>");
    }
    return legend(s, names).append("</svg>").toString();
  }

  private static String calibrationSvg(List<String> names, List<StudyReport.Group> groups) {
    StringBuilder s = frame("mean predicted probability", "observed positive rate");
    s.append(line(0, 0, 1, 1, "#bbb", "4 3"));
    for (int i = 0; i < groups.size(); i++) {
      StudyReport.Group g = groups.get(i);
      StringBuilder pts = new StringBuilder();
      for (StudyReport.Calibration c : g.calibration()) {
        if (c.count() == 0) continue;
        double r = Math.max(2, Math.min(12, 12 * Math.sqrt((double) c.count() / Math.max(1, g.count()))));
        s.append("<circle cx=\"").append(x(c.meanPredicted())).append("\" cy=\"").append(y(c.observedRate()))
            .append("\" r=\"").append(fmt(r)).append("\" fill=\"").append(COLOURS[i % COLOURS.length]).append("\" fill-opacity=\"0.5\"/>");
        pts.append(x(c.meanPredicted())).append(',').append(y(c.observedRate())).append(' ');
      }
      s.append("<polyline fill=\"none\" stroke-width=\"1\" stroke=\"").append(COLOURS[i % COLOURS.length])
          .append("\" points=\"").append(pts.toString().trim()).append("\"/>");
    }
    return legend(s, names).append("</svg>").toString();
  }

  private static StringBuilder frame(String xLabel, String yLabel) {
    int w = SIZE + 2 * PAD;
    StringBuilder s = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + (w + 110) + "\" height=\"" + w
        + "\" viewBox=\"0 0 " + (w + 110) + " " + w + "\" font-size=\"11\">");
    s.append("<rect x=\"").append(PAD).append("\" y=\"").append(PAD).append("\" width=\"").append(SIZE).append("\" height=\"")
        .append(SIZE).append("\" fill=\"none\" stroke=\"#333\"/>");
    for (int t = 0; t <= 4; t++) {
      double v = t / 4.0;
      s.append("<text x=\"").append(x(v)).append("\" y=\"").append(PAD + SIZE + 14).append("\" text-anchor=\"middle\">")
          .append(tick(v)).append("</text><text x=\"").append(PAD - 4).append("\" y=\"").append(fmt(Double.parseDouble(y(v)) + 4))
          .append("\" text-anchor=\"end\">").append(tick(v)).append("</text>");
    }
    s.append("<text x=\"").append(PAD + SIZE / 2).append("\" y=\"").append(PAD + SIZE + 30).append("\" text-anchor=\"middle\">")
        .append(esc(xLabel)).append("</text><text transform=\"rotate(-90)\" x=\"").append(-(PAD + SIZE / 2)).append("\" y=\"10\" text-anchor=\"middle\">")
        .append(esc(yLabel)).append("</text>");
    return s;
  }

  private static StringBuilder legend(StringBuilder s, List<String> names) {
    for (int i = 0; i < names.size(); i++) {
      int ly = PAD + 14 * i;
      s.append("<rect x=\"").append(2 * PAD + SIZE - 25).append("\" y=\"").append(ly).append("\" width=\"10\" height=\"10\" fill=\"")
          .append(COLOURS[i % COLOURS.length]).append("\"/><text x=\"").append(2 * PAD + SIZE - 10).append("\" y=\"").append(ly + 9)
          .append("\">").append(esc(names.get(i))).append("</text>");
    }
    return s;
  }

  private static String line(double x1, double y1, double x2, double y2, String colour, String dash) {
    return "<line x1=\"" + x(x1) + "\" y1=\"" + y(y1) + "\" x2=\"" + x(x2) + "\" y2=\"" + y(y2) + "\" stroke=\"" + colour
        + "\" stroke-dasharray=\"" + dash + "\"/>";
  }

  private static String x(double v) {
    return fmt(PAD + SIZE * clamp(v));
  }

  private static String y(double v) {
    return fmt(PAD + SIZE * (1 - clamp(v)));
  }

  private static double clamp(double v) {
    return Double.isNaN(v) ? 0 : Math.max(0, Math.min(1, v));
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String tick(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
  }

  /** {@code s} escaped for HTML text and attribute values; null is the empty string. */
  static String esc(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
