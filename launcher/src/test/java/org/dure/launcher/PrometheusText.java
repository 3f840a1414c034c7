package org.dure.launcher;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (what {@code GET /api/metrics} serves): HELP and
 * TYPE lines, one TYPE per family before its samples, valid metric and label names, escaped label values, float
 * values, no series twice, histogram families with {@code _bucket{le}}, {@code _sum} and {@code _count} only, and
 * buckets that grow to {@code le="+Inf"} equal to {@code _count}. It throws naming the line at fault.
 */
final class PrometheusText {
  static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** A sample's metric name and labels (sorted), as parsed. */
  record Series(String name, Map<String, String> labels) {
    boolean has(String... pairs) {
      for (int i = 0; i + 1 < pairs.length; i += 2) if (!pairs[i + 1].equals(labels.get(pairs[i]))) return false;
      return true;
    }
  }

  final Map<String, String> types = new LinkedHashMap<>();
  final Map<Series, Double> samples = new LinkedHashMap<>();

  static PrometheusText parse(String text) {
    PrometheusText p = new PrometheusText();
    Set<String> seenFamilies = new HashSet<>();
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n];
      String where = "line " + (n + 1) + ": " + line;
      if (line.isEmpty()) continue;
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          if (!NAME.matcher(parts[2]).matches()) throw new IllegalArgumentException("bad metric name in " + where);
          if (parts[1].equals("TYPE")) {
            if (parts.length != 4 || !TYPES.contains(parts[3])) throw new IllegalArgumentException("bad TYPE in " + where);
            if (p.types.put(parts[2], parts[3]) != null) throw new IllegalArgumentException("second TYPE for " + where);
            if (seenFamilies.contains(parts[2])) throw new IllegalArgumentException("TYPE after samples in " + where);
          }
        }
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name;
      Map<String, String> labels = new TreeMap<>();
      String rest;
      if (brace >= 0 && brace < space) {
        name = line.substring(0, brace);
        int close = line.indexOf("} ", brace);
        if (close < 0) throw new IllegalArgumentException("unclosed labels in " + where);
        String body = line.substring(brace + 1, close);
        Matcher m = LABEL.matcher(body);
        int at = 0;
        while (at < body.length()) {
          if (!m.find(at) || m.start() != at) throw new IllegalArgumentException("bad label at " + at + " in " + where);
          if (labels.put(m.group(1), m.group(2)) != null) throw new IllegalArgumentException("repeated label in " + where);
          at = m.end();
          if (at < body.length()) {
            if (body.charAt(at) != ',') throw new IllegalArgumentException("expected ',' in " + where);
            at++;
          }
        }
        rest = line.substring(close + 2);
      } else {
        if (space < 0) throw new IllegalArgumentException("no value in " + where);
        name = line.substring(0, space);
        rest = line.substring(space + 1);
      }
      if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("bad metric name in " + where);
      String[] v = rest.trim().split(" ");
      if (v.length > 2) throw new IllegalArgumentException("too many fields in " + where);
      double value = switch (v[0]) {
        case "+Inf" -> Double.POSITIVE_INFINITY;
        case "-Inf" -> Double.NEGATIVE_INFINITY;
        case "NaN" -> Double.NaN;
        default -> Double.parseDouble(v[0]);
      };
      if (v.length == 2) Long.parseLong(v[1]);
      String family = family(name, p.types);
      seenFamilies.add(family);
      if ("histogram".equals(p.types.get(family))) {
        String suffix = name.substring(family.length());
        if (!Set.of("_bucket", "_sum", "_count").contains(suffix)) throw new IllegalArgumentException("histogram sample " + where);
        if (suffix.equals("_bucket") != labels.containsKey("le")) throw new IllegalArgumentException("le only on _bucket: " + where);
      }
      if (p.samples.put(new Series(name, Map.copyOf(labels)), value) != null) throw new IllegalArgumentException("duplicate series " + where);
    }
    p.checkHistograms();
    return p;
  }

  private static String family(String name, Map<String, String> types) {
    if (types.containsKey(name)) return name;
    for (String suffix : new String[] {"_bucket", "_sum", "_count", "_total", "_created"}) {
      if (name.endsWith(suffix) && types.containsKey(name.substring(0, name.length() - suffix.length()))) {
        return name.substring(0, name.length() - suffix.length());
      }
    }
    return name;
  }

  private void checkHistograms() {
    for (Map.Entry<Series, Double> e : samples.entrySet()) {
      Series s = e.getKey();
      if (!s.name().endsWith("_count") || !"histogram".equals(types.get(s.name().substring(0, s.name().length() - 6)))) continue;
      String base = s.name().substring(0, s.name().length() - 6);
      double previous = 0, inf = Double.NaN;
      for (Map.Entry<Series, Double> b : samples.entrySet()) {
        Series bs = b.getKey();
        if (!bs.name().equals(base + "_bucket")) continue;
        Map<String, String> without = new TreeMap<>(bs.labels());
        String le = without.remove("le");
        if (!without.equals(s.labels())) continue;
        if (b.getValue() < previous) throw new IllegalArgumentException("buckets of " + s + " decrease at le=" + le);
        previous = b.getValue();
        if (le.equals("+Inf")) inf = b.getValue();
      }
      if (inf != e.getValue()) throw new IllegalArgumentException(s + ": le=\"+Inf\" bucket " + inf + " is not _count " + e.getValue());
    }
  }

  /** The sum of every sample of {@code name} whose labels include the pairs (0 when none). */
  double sum(String name, String... pairs) {
    double t = 0;
    for (Map.Entry<Series, Double> e : samples.entrySet()) if (e.getKey().name().equals(name) && e.getKey().has(pairs)) t += e.getValue();
    return t;
  }

  /** Every metric name with at least one sample. */
  Set<String> names() {
    Set<String> out = new HashSet<>();
    samples.keySet().forEach(s -> out.add(s.name()));
    return out;
  }
}
