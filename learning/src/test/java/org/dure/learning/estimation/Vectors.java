package org.dure.learning.estimation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The committed test vectors in {@code src/test/resources/vectors/estimation/}: the four sites' rows of
 * {@code sites.csv} and the pooled reference fits that {@code reference.R} and {@code multinomial.py} made from them.
 */
final class Vectors {
  static final List<String> COVARIATES = List.of("age", "sex", "marker");
  static final List<String> CLASSES = List.of("low", "mid", "high");

  /** One parsed row of sites.csv. */
  record Row(String site, double[] x, int yBin, double yLin, int yClass, double time, boolean event) {}

  private Vectors() {}

  static String resource(String name) {
    try (InputStream in = Vectors.class.getResourceAsStream("/vectors/estimation/" + name)) {
      if (in == null) throw new IllegalStateException("missing test resource vectors/estimation/" + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rows of sites.csv grouped by site, in file order. */
  static Map<String, List<Row>> sites() {
    String[] lines = resource("sites.csv").split("\n");
    List<String> header = Arrays.asList(lines[0].trim().split(","));
    if (!header.equals(List.of("site", "age", "sex", "marker", "y_bin", "y_lin", "y_cls", "time", "event"))) {
      throw new IllegalStateException("unexpected sites.csv header " + header);
    }
    Map<String, List<Row>> sites = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isBlank()) continue;
      String[] f = lines[i].trim().split(",");
      Row r = new Row(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])},
          Integer.parseInt(f[4]), Double.parseDouble(f[5]), CLASSES.indexOf(f[6]), Double.parseDouble(f[7]),
          f[8].equals("1"));
      if (r.yClass() < 0) throw new IllegalStateException("unknown class " + f[6] + " on line " + (i + 1));
      sites.computeIfAbsent(r.site(), k -> new ArrayList<>()).add(r);
    }
    return sites;
  }

  static double[][] x(List<Row> rows) { return rows.stream().map(Row::x).toArray(double[][]::new); }

  static SiteRows binary(List<Row> rows) { return SiteRows.binary(x(rows), rows.stream().mapToInt(Row::yBin).toArray()); }

  static SiteRows continuous(List<Row> rows) {
    return SiteRows.continuous(x(rows), rows.stream().mapToDouble(Row::yLin).toArray());
  }

  static SiteRows categorical(List<Row> rows) {
    return SiteRows.categorical(x(rows), rows.stream().mapToInt(Row::yClass).toArray());
  }

  static SiteRows survival(List<Row> rows) {
    boolean[] event = new boolean[rows.size()];
    for (int i = 0; i < event.length; i++) event[i] = rows.get(i).event();
    return SiteRows.survival(x(rows), rows.stream().mapToDouble(Row::time).toArray(), event);
  }

  /** All rows of all sites as one site whose strata are the sites. */
  static SiteRows survivalStratifiedBySite(Map<String, List<Row>> sites) {
    List<Row> all = new ArrayList<>();
    List<Integer> stratum = new ArrayList<>();
    int s = 0;
    for (List<Row> rows : sites.values()) {
      all.addAll(rows);
      for (int i = 0; i < rows.size(); i++) stratum.add(s);
      s++;
    }
    boolean[] event = new boolean[all.size()];
    for (int i = 0; i < event.length; i++) event[i] = all.get(i).event();
    return SiteRows.survival(x(all), all.stream().mapToDouble(Row::time).toArray(), event,
        stratum.stream().mapToInt(Integer::intValue).toArray());
  }

  static List<Row> union(Map<String, List<Row>> sites) {
    return sites.values().stream().flatMap(List::stream).toList();
  }

  static JsonNode reference(String file, String model) {
    try {
      JsonNode node = new ObjectMapper().readTree(resource(file)).get(model);
      if (node == null) throw new IllegalStateException("no " + model + " in " + file);
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static double[] doubles(JsonNode array) {
    double[] v = new double[array.size()];
    for (int i = 0; i < v.length; i++) v[i] = array.get(i).asDouble();
    return v;
  }

  static List<String> strings(JsonNode array) {
    List<String> v = new ArrayList<>();
    array.forEach(n -> v.add(n.asText()));
    return v;
  }
}
