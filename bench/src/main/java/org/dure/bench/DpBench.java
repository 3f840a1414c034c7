package org.dure.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import org.dure.learning.eval.BinaryMetrics;
import org.dure.learning.train.Activation;
import org.dure.learning.train.Architecture;
import org.dure.learning.train.DpSgdConfig;
import org.dure.learning.train.LocalTrainer;
import org.dure.learning.train.Optimizer;
import org.dure.learning.train.Predictor;
import org.dure.learning.train.TrainOutcome;
import org.dure.learning.train.TrainingConfig;
import org.dure.learning.train.TrainingData;
import org.dure.protocol.privacy.RdpAccountant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench dp}: what record-level differential privacy costs in accuracy. WDBC (569 patients, CC BY 4.0, see
 * {@code wdbc/README.md}) split into a stratified 20% test set and three sites with very different class balances;
 * logistic regression trained federatedly (FedAvg weighted by rows) with the same {@code LocalTrainer} the agents
 * run, each site with DP-SGD whose noise multiplier it derives from the target ε for the whole study (RDP
 * accountant, Poisson rate {@code batch / site rows}, every local step of every round), and once without DP.
 * Prints the test AUC (median over seeds, with min and max) for each ε.
 */
@Command(name = "dp", mixinStandardHelpOptions = true,
    description = "Test AUC of DP-SGD federated training on WDBC (3 sites) for target ε values, against non-private.")
public final class DpBench implements Callable<Integer> {
  @Option(names = "--epsilons", split = ",", defaultValue = "1,3,8", description = "Target ε values (default: ${DEFAULT-VALUE}).")
  List<Double> epsilons;
  @Option(names = "--delta", defaultValue = "1e-5", description = "δ (default: ${DEFAULT-VALUE}).")
  double delta;
  @Option(names = "--rounds", defaultValue = "10", description = "Federated rounds (default: ${DEFAULT-VALUE}).")
  int rounds;
  @Option(names = "--epochs", defaultValue = "1", description = "Local epochs per round (default: ${DEFAULT-VALUE}).")
  int epochs;
  @Option(names = "--batch", defaultValue = "16", description = "Expected batch size (default: ${DEFAULT-VALUE}).")
  int batch;
  @Option(names = "--lr", defaultValue = "0.1", description = "Learning rate (default: ${DEFAULT-VALUE}).")
  double lr;
  @Option(names = "--clip", defaultValue = "1.0", description = "Per-example gradient clip C (default: ${DEFAULT-VALUE}).")
  double clip;
  @Option(names = "--seeds", defaultValue = "5", description = "Repetitions (split fixed, training and noise seeds vary).")
  int seeds;
  @Mixin JsonOutput json;

  private record Split(float[] x, float[] y, int rows) {}

  @Override public Integer call() throws Exception {
    List<String[]> rows = read();
    int cols = 30;
    List<String[]> m = new ArrayList<>(), b = new ArrayList<>();
    for (String[] r : rows) (r[30].equals("M") ? m : b).add(r);
    Random split = new Random(7);
    Collections.shuffle(m, split);
    Collections.shuffle(b, split);
    int tm = Math.round(m.size() * 0.2f), tb = Math.round(b.size() * 0.2f);
    List<String[]> test = new ArrayList<>(m.subList(0, tm));
    test.addAll(b.subList(0, tb));
    List<String[]> trainM = m.subList(tm, m.size()), trainB = b.subList(tb, b.size());
    double[][] shares = {{0.60, 0.15}, {0.30, 0.35}, {0.10, 0.50}};
    List<List<String[]>> sites = new ArrayList<>();
    int mf = 0, bf = 0;
    for (int s = 0; s < 3; s++) {
      int mt = s == 2 ? trainM.size() : mf + (int) Math.round(trainM.size() * shares[s][0]);
      int bt = s == 2 ? trainB.size() : bf + (int) Math.round(trainB.size() * shares[s][1]);
      List<String[]> site = new ArrayList<>(trainM.subList(mf, mt));
      site.addAll(trainB.subList(bf, bt));
      sites.add(site);
      mf = mt;
      bf = bt;
    }
    // Pooled standardisation, as the coordinator's federated scaling computes it.
    double[] mean = new double[cols], sq = new double[cols];
    long n = 0;
    for (List<String[]> site : sites) for (String[] r : site) {
      n++;
      for (int j = 0; j < cols; j++) {
        double v = Double.parseDouble(r[j]);
        mean[j] += v;
        sq[j] += v * v;
      }
    }
    double[] scale = new double[cols];
    for (int j = 0; j < cols; j++) {
      mean[j] /= n;
      scale[j] = Math.sqrt(Math.max(1e-12, sq[j] / n - mean[j] * mean[j]));
    }
    List<Split> siteData = new ArrayList<>();
    for (List<String[]> site : sites) siteData.add(encode(site, mean, scale));
    Split testData = encode(test, mean, scale);

    System.out.printf(Locale.ROOT, "WDBC: 3 sites of %d / %d / %d training patients, %d test patients; logistic regression,"
            + " %d rounds x %d local epoch(s), batch %d, lr %.3f, SGD, clip C = %.2f, δ = %.0e, %d seeds%n",
        siteData.get(0).rows(), siteData.get(1).rows(), siteData.get(2).rows(), testData.rows(), rounds, epochs, batch, lr,
        clip, delta, seeds);
    String header = String.format(Locale.ROOT, "%10s  %-22s  %-22s  %10s  %10s  %10s", "target ε", "σ per site",
        "ε spent per site", "AUC med", "AUC min", "AUC max");
    System.out.println(header);
    System.out.println("-".repeat(header.length()));
    List<Double> targets = new ArrayList<>(epsilons);
    targets.add(Double.POSITIVE_INFINITY);
    RdpAccountant accountant = RdpAccountant.opacusDefaults();
    for (double eps : targets) {
      double[] sigma = new double[3], spent = new double[3];
      DpSgdConfig[] dp = new DpSgdConfig[3];
      for (int s = 0; s < 3; s++) {
        double q = Math.min(1.0, batch / (double) siteData.get(s).rows());
        long steps = (long) rounds * epochs * Math.max(1, Math.round(1 / q));
        if (Double.isFinite(eps)) {
          sigma[s] = accountant.noiseMultiplier(eps, delta, q, steps);
          spent[s] = accountant.privacySpent(q, sigma[s], steps, delta).epsilon();
          dp[s] = new DpSgdConfig(sigma[s], clip, q);
        } else {
          spent[s] = Double.POSITIVE_INFINITY;
        }
      }
      double[] auc = new double[seeds];
      for (int seed = 0; seed < seeds; seed++) auc[seed] = federated(siteData, testData, dp, seed);
      double[] sorted = auc.clone();
      java.util.Arrays.sort(sorted);
      double med = sorted[sorted.length / 2];
      String sig = Double.isFinite(eps) ? String.format(Locale.ROOT, "%.2f / %.2f / %.2f", sigma[0], sigma[1], sigma[2]) : "- (no DP)";
      String sp = Double.isFinite(eps) ? String.format(Locale.ROOT, "%.2f / %.2f / %.2f", spent[0], spent[1], spent[2]) : "∞";
      System.out.printf(Locale.ROOT, "%10s  %-22s  %-22s  %10.4f  %10.4f  %10.4f%n", Double.isFinite(eps) ? String.valueOf(eps) : "∞ (none)",
          sig, sp, med, sorted[0], sorted[sorted.length - 1]);
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("target_epsilon", Double.isFinite(eps) ? eps : null);
      row.put("delta", delta);
      row.put("sigma_site_a", sigma[0]);
      row.put("sigma_site_b", sigma[1]);
      row.put("sigma_site_c", sigma[2]);
      row.put("auc_median", med);
      row.put("auc_min", sorted[0]);
      row.put("auc_max", sorted[sorted.length - 1]);
      row.put("rounds", rounds);
      row.put("seeds", seeds);
      json.write("dp", row);
    }
    System.out.println("σ: the noise multiplier each site derives for its own row count; ε spent: the RDP accountant's ε"
        + " after every step of every round (≤ target); AUC on the 20% held-out test patients.");
    return 0;
  }

  /** FedAvg over the sites (weighted by rows), returns the test AUC of the final model. */
  private double federated(List<Split> sites, Split test, DpSgdConfig[] dp, int seed) {
    Architecture arch = Architecture.logisticRegression(30);
    float[] global = new float[arch.parameterCount()];
    List<TrainingData> data = new ArrayList<>();
    List<LocalTrainer> trainers = new ArrayList<>();
    try (TrainingData testSet = TrainingData.of(test.x(), test.rows(), 30, test.y())) {
      long total = 0;
      for (int s = 0; s < sites.size(); s++) {
        Split sp = sites.get(s);
        data.add(TrainingData.of(sp.x(), sp.rows(), 30, sp.y()));
        TrainingConfig cfg = new TrainingConfig(epochs, batch, lr, Optimizer.parse("sgd"), 0);
        trainers.add(new LocalTrainer(arch, dp[s] == null ? cfg : cfg.withDpSgd(dp[s])));
        total += sp.rows();
      }
      for (int r = 1; r <= rounds; r++) {
        double[] sum = new double[global.length];
        for (int s = 0; s < sites.size(); s++) {
          TrainOutcome o = trainers.get(s).train(global, data.get(s), seed * 1_000_003L + s * 31L + r);
          float[] p = o.parameters();
          double w = sites.get(s).rows() / (double) total;
          for (int i = 0; i < p.length; i++) sum[i] += w * p[i];
        }
        for (int i = 0; i < global.length; i++) global[i] = (float) sum[i];
      }
      float[] prob = Predictor.predictProbabilities(arch, global, testSet);
      return BinaryMetrics.of(prob, test.y()).auc();
    } finally {
      trainers.forEach(LocalTrainer::close);
      data.forEach(TrainingData::close);
    }
  }

  private static Split encode(List<String[]> rows, double[] mean, double[] scale) {
    float[] x = new float[rows.size() * 30], y = new float[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      for (int j = 0; j < 30; j++) x[i * 30 + j] = (float) ((Double.parseDouble(r[j]) - mean[j]) / scale[j]);
      y[i] = r[30].equals("M") ? 1 : 0;
    }
    return new Split(x, y, rows.size());
  }

  private static List<String[]> read() throws IOException {
    try (InputStream in = DpBench.class.getResourceAsStream("/wdbc/wdbc.csv")) {
      if (in == null) throw new IOException("wdbc/wdbc.csv is missing from the bench jar");
      List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
      List<String[]> out = new ArrayList<>();
      for (String l : lines.subList(1, lines.size())) out.add(l.split(","));
      return out;
    }
  }
}
