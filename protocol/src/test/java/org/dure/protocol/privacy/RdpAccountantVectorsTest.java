package org.dure.protocol.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.dure.protocol.privacy.RdpAccountant.PrivacySpent;
import org.dure.protocol.privacy.RdpAccountant.Series;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reproduces the published vectors in {@code vectors/dp-rdp-accountant.json}; see the README beside it. */
class RdpAccountantVectorsTest {
  private static final Set<String> COVERED = Set.of("opacus-rdp-accountant", "opacus-rdp-docstring",
      "tfp-dp-sgd-mnist", "dp-accounting-rdp-values", "opacus-rdp-values", "pure-dp-conversion");
  private static JsonNode vectors;

  @BeforeAll static void load() throws IOException {
    try (InputStream in = RdpAccountantVectorsTest.class.getResourceAsStream("/vectors/dp-rdp-accountant.json")) {
      assertNotNull(in, "vectors/dp-rdp-accountant.json missing from the test classpath");
      vectors = new ObjectMapper().readTree(in);
    }
  }

  private static JsonNode vectorCase(String id) {
    for (JsonNode c : vectors.get("cases")) if (c.get("id").asText().equals(id)) return c;
    throw new AssertionError("no case " + id);
  }

  private static double[] integers(int from, int to) {
    return IntStream.rangeClosed(from, to).asDoubleStream().toArray();
  }

  private static double[] numbers(JsonNode array) {
    double[] d = new double[array.size()];
    for (int i = 0; i < d.length; i++) d[i] = array.get(i).asDouble();
    return d;
  }

  @Test void everyCaseInTheFileIsCovered() {
    Set<String> ids = new HashSet<>();
    vectors.get("cases").forEach(c -> ids.add(c.get("id").asText()));
    assertEquals(COVERED, ids);
  }

  @Test void opacusDefaultOrdersAreTenthsThenIntegers() {
    assertEquals("1 + x/10 for x in 1..99, then 12..63", vectors.get("opacus_default_orders").asText());
    double[] o = RdpAccountant.opacusDefaults().orders();
    assertEquals(151, o.length);
    assertEquals(1.1, o[0]);
    assertEquals(10.9, o[98], 1e-15);
    assertEquals(12, o[99]);
    assertEquals(63, o[150]);
  }

  @Test void opacusAccountantGivesOpacusEpsilonForDpSgd() {
    JsonNode c = vectorCase("opacus-rdp-accountant");
    assertEquals("opacus", c.get("series").asText());
    PrivacySpent spent = RdpAccountant.opacusDefaults().privacySpent(c.get("sample_rate").asDouble(),
        c.get("noise_multiplier").asDouble(), c.get("steps").asLong(), c.get("delta").asDouble());
    assertEquals(c.get("expected_epsilon").asDouble(), spent.epsilon(), c.get("tolerance_abs").asDouble());
  }

  @Test void composedPhasesMatchTheOpacusDocstringExample() {
    JsonNode c = vectorCase("opacus-rdp-docstring");
    RdpAccountant accountant = RdpAccountant.of(Series.OPACUS, integers(2, 32));
    double[] total = new double[31];
    for (JsonNode phase : c.get("composition")) {
      double[] rdp = accountant.rdp(phase.get("sample_rate").asDouble(), phase.get("noise_multiplier").asDouble(),
          phase.get("steps").asLong());
      for (int i = 0; i < total.length; i++) total[i] += rdp[i];
    }
    PrivacySpent spent = accountant.privacySpent(total, c.get("delta").asDouble());
    assertEquals(c.get("expected_epsilon").asDouble(), spent.epsilon(), c.get("tolerance_abs").asDouble());
    assertEquals(c.get("expected_order").asDouble(), spent.order());
  }

  @Test void tfPrivacyMnistDpSgdEpsilonIsReproduced() {
    JsonNode c = vectorCase("tfp-dp-sgd-mnist");
    int n = c.get("dataset_size").asInt();
    int batch = c.get("batch_size").asInt();
    double q = (double) batch / n;
    long steps = (long) Math.ceil(c.get("epochs").asDouble() * n / batch);
    List<Double> orders = new ArrayList<>(List.of(1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5));
    for (int a = 5; a <= 63; a++) orders.add((double) a);
    orders.addAll(List.of(128.0, 256.0, 512.0));
    RdpAccountant accountant = RdpAccountant.of(Series.OPACUS, orders.stream().mapToDouble(Double::doubleValue).toArray());
    PrivacySpent spent = accountant.privacySpent(q, c.get("noise_multiplier").asDouble(), steps, c.get("delta").asDouble());
    assertEquals(c.get("expected_epsilon").asDouble(), spent.epsilon(), c.get("tolerance_abs").asDouble());
    assertEquals(c.get("expected_order").asDouble(), spent.order());
  }

  @Test void dpAccountingSeriesGivesDpAccountingRdpValues() {
    assertRdpValues(vectorCase("dp-accounting-rdp-values"), Series.DP_ACCOUNTING);
  }

  @Test void opacusSeriesGivesOldTfPrivacyRdpValues() {
    assertRdpValues(vectorCase("opacus-rdp-values"), Series.OPACUS);
  }

  private static void assertRdpValues(JsonNode c, Series series) {
    assertEquals(series.name().toLowerCase(), c.get("series").asText());
    double[] orders = numbers(c.get("orders"));
    double[] expected = numbers(c.get("expected_rdp"));
    double tol = c.get("tolerance_rel").asDouble();
    double[] got = RdpAccountant.of(series, orders).rdp(c.get("sample_rate").asDouble(),
        c.get("noise_multiplier").asDouble(), c.get("steps").asLong());
    for (int i = 0; i < orders.length; i++) {
      assertEquals(expected[i], got[i], tol * Math.abs(expected[i]), c.get("id").asText() + " at order " + orders[i]);
    }
  }

  @Test void pureDpRdpConvertsWithBalleEtAlBound() {
    JsonNode c = vectorCase("pure-dp-conversion");
    double[] rdp = new double[31];
    java.util.Arrays.fill(rdp, c.get("rdp_constant").asDouble());
    PrivacySpent spent = RdpAccountant.of(Series.OPACUS, integers(2, 32)).privacySpent(rdp, c.get("delta").asDouble());
    assertEquals(c.get("expected_epsilon").asDouble(), spent.epsilon(), c.get("tolerance_abs").asDouble());
    assertEquals(c.get("expected_order").asDouble(), spent.order());
  }

  @Test void singleStepIntegerOrdersMatchToTwelveDigitsInBothSeries() {
    for (JsonNode v : vectors.get("single_step_integer_orders")) {
      double a = v.get("order").asDouble();
      for (Series s : Series.values()) {
        double got = RdpAccountant.of(s, a).rdp(v.get("sample_rate").asDouble(), v.get("noise_multiplier").asDouble(), 1)[0];
        double want = v.get("rdp").asDouble();
        assertEquals(want, got, 1e-12 * want, v + " with " + s);
      }
    }
  }
}
