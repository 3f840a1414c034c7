package org.dure.bench;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Callable;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.dure.learning.train.Activation;
import org.dure.learning.train.Architecture;
import org.dure.learning.train.DpSgdConfig;
import org.dure.learning.train.Initializer;
import org.dure.learning.train.LocalTrainer;
import org.dure.learning.train.Optimizer;
import org.dure.learning.train.TrainOutcome;
import org.dure.learning.train.TrainingConfig;
import org.dure.learning.train.TrainingData;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench train}: local training throughput of logistic regression and of the MLP 100-256-256-1 (relu) on
 * synthetic rows, minibatch SGD, binary cross-entropy: the median samples/s of the timed epochs after warm-up
 * epochs. {@code bench/pytorch_train_bench.py} runs the same jobs in PyTorch for comparison.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Local training throughput (samples/s) of logistic regression and an MLP on synthetic data.")
public final class TrainBench implements Callable<Integer> {
  @Option(names = "--rows", defaultValue = "200000", description = "Synthetic training rows (default: ${DEFAULT-VALUE}).")
  int rows;
  @Option(names = "--cols", defaultValue = "100", description = "Features per row (default: ${DEFAULT-VALUE}).")
  int cols;
  @Option(names = "--batch", defaultValue = "256", description = "Minibatch size (default: ${DEFAULT-VALUE}).")
  int batch;
  @Option(names = "--epochs", defaultValue = "5", description = "Timed epochs per model (default: ${DEFAULT-VALUE}).")
  int epochs;
  @Option(names = "--warmup", defaultValue = "1", description = "Untimed epochs per model first (default: ${DEFAULT-VALUE}).")
  int warmup;
  @Option(names = "--threads", defaultValue = "1",
      description = "Informational: threads this run is meant to use. Set OMP_NUM_THREADS and OPENBLAS_NUM_THREADS "
          + "in the environment; a mismatch is reported (default: ${DEFAULT-VALUE}).")
  int threads;
  @Option(names = "--lr", defaultValue = "0.01", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
  double learningRate;
  @Option(names = "--seed", defaultValue = "42", description = "Seed of data, initial weights and shuffling.")
  long seed;
  @Option(names = "--models", split = ",", defaultValue = "logreg,mlp",
      description = "Models to run, from: logreg, mlp (default: ${DEFAULT-VALUE}).")
  List<String> models;
  @Option(names = "--engine", defaultValue = "dure",
      description = "dure: the LocalTrainer; for comparison, the same training as nd4j-ops (plain INDArray ops: "
          + "Nd4j.gemm, addiRowVector, Transforms) or samediff (a SameDiff graph and its fit) "
          + "(default: ${DEFAULT-VALUE}).")
  String engine;
  @Option(names = "--dp", description = "Also time each model with DP-SGD (engine dure only): Poisson rate batch/rows,"
      + " per-example clipping, Gaussian noise; prints the DP/plain throughput ratio.")
  boolean dp;
  @Option(names = "--sigma", defaultValue = "1.0", description = "DP-SGD noise multiplier with --dp (default: ${DEFAULT-VALUE}).")
  double sigma;
  @Option(names = "--clip", defaultValue = "1.0", description = "DP-SGD clip norm with --dp (default: ${DEFAULT-VALUE}).")
  double clip;
  @Mixin JsonOutput json;
  @Spec CommandSpec spec;

  @Override public Integer call() {
    if (rows < 1 || cols < 1 || batch < 1 || epochs < 1 || warmup < 0) {
      throw new ParameterException(spec.commandLine(), "--rows, --cols, --batch and --epochs must be >= 1 and --warmup >= 0");
    }
    for (String model : models) {
      if (!List.of("logreg", "mlp").contains(model.trim().toLowerCase(Locale.ROOT))) {
        throw new ParameterException(spec.commandLine(), "--models entries must be logreg or mlp, was " + model);
      }
    }
    if (!List.of("dure", "nd4j-ops", "samediff").contains(engine)) {
      throw new ParameterException(spec.commandLine(), "--engine must be dure, nd4j-ops or samediff, was " + engine);
    }
    if (dp && !engine.equals("dure")) throw new ParameterException(spec.commandLine(), "--dp needs --engine dure");
    if (dp && (!(sigma >= 0) || !(clip > 0))) throw new ParameterException(spec.commandLine(), "--sigma must be >= 0 and --clip > 0");
    printSettings();
    float[][] xy = synthetic(rows, cols, seed);
    String header = String.format(Locale.ROOT, "%-34s %8s %6s %17s %10s %10s %8s",
        "model", "rows", "batch", "samples/s median", "min", "max", "loss");
    System.out.println(header);
    System.out.println("-".repeat(header.length()));
    try (TrainingData data = TrainingData.of(xy[0], rows, cols, xy[1])) {
      for (String model : models) {
        Architecture arch = switch (model.trim().toLowerCase(Locale.ROOT)) {
          case "logreg" -> Architecture.logisticRegression(cols);
          case "mlp" -> Architecture.mlp(cols, Activation.RELU, 256, 256);
          default -> throw new IllegalArgumentException("--models entries must be logreg or mlp, was " + model);
        };
        double plain = run(arch, data, xy, null);
        if (dp) {
          double q = DpSgdConfig.samplingRate(batch, rows);
          double priv = run(arch, data, xy, new DpSgdConfig(sigma, clip, q));
          System.out.println(String.format(Locale.ROOT, "%-34s %s", "", String.format(Locale.ROOT,
              "DP-SGD / plain throughput: %.2f (DP-SGD is %.2fx slower)", priv / plain, plain / priv)));
        }
      }
    }
    return 0;
  }

  private double run(Architecture arch, TrainingData data, float[][] xy, DpSgdConfig dpSgd) {
    TrainingConfig plain = new TrainingConfig(1, batch, learningRate, Optimizer.SGD, 0);
    TrainingConfig config = dpSgd == null ? plain : plain.withDpSgd(dpSgd);
    float[] params = Initializer.initialParameters(arch, seed);
    double[] rates = new double[epochs];
    double loss = Double.NaN;
    try (EpochRunner runner = runner(arch, config, data, xy)) {
      for (int e = 0; e < warmup + epochs; e++) {
        long t0 = System.nanoTime();
        TrainOutcome out = runner.epoch(params, seed + e);
        double seconds = (System.nanoTime() - t0) / 1e9;
        params = out.parameters();
        loss = out.meanLoss();
        if (e >= warmup) rates[e - warmup] = rows / seconds;
      }
    }
    Stats s = Stats.of(rates);
    String name = dpSgd == null ? arch.toString() : arch + " DP-SGD";
    System.out.println(String.format(Locale.ROOT, "%-34s %8d %6d %,17.0f %,10.0f %,10.0f %8.4f",
        name, rows, batch, s.median(), s.min(), s.max(), loss));
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("model", name);
    row.put("rows", rows);
    row.put("batch", batch);
    row.put("samples_per_s_median", Math.round(s.median() * 10) / 10.0);
    row.put("min", Math.round(s.min() * 10) / 10.0);
    row.put("max", Math.round(s.max() * 10) / 10.0);
    row.put("engine", engineDescription());
    row.put("epochs", epochs);
    row.put("loss", loss);
    if (dpSgd != null) {
      row.put("dp_noise_multiplier", dpSgd.noiseMultiplier());
      row.put("dp_clip", dpSgd.clipNorm());
      row.put("dp_sampling_rate", dpSgd.samplingRate());
    }
    json.write("train", row);
    return s.median();
  }

  /** One epoch of training from given parameters. */
  interface EpochRunner extends AutoCloseable {
    TrainOutcome epoch(float[] params, long seed);

    @Override void close();
  }

  private EpochRunner runner(Architecture arch, TrainingConfig config, TrainingData data, float[][] xy) {
    return switch (engine) {
      case "dure" -> {
        LocalTrainer trainer = new LocalTrainer(arch, config);
        yield new EpochRunner() {
          @Override public TrainOutcome epoch(float[] params, long s) {
            return trainer.train(params, data, s);
          }

          @Override public void close() {
            trainer.close();
          }
        };
      }
      case "nd4j-ops" -> new Nd4jOpsTrainer(arch, config, xy[0], xy[1], rows, cols);
      case "samediff" -> new SameDiffTrainer(arch, config, xy[0], xy[1], rows, cols);
      default -> throw new IllegalArgumentException("--engine must be dure, nd4j-ops or samediff, was " + engine);
    };
  }

  private String engineDescription() {
    String base = "nd4j-" + nd4jVersion() + " openblas-" + openblasVersion();
    return switch (engine) {
      case "dure" -> "dure LocalTrainer (" + base + ", direct BLAS + JVM kernels)";
      case "samediff" -> "samediff (" + base + ", SameDiff.fit per batch)";
      default -> "nd4j-ops (" + base + ", INDArray ops)";
    };
  }

  private void printSettings() {
    String omp = env("OMP_NUM_THREADS"), blas = env("OPENBLAS_NUM_THREADS");
    System.out.println("engine " + engineDescription());
    System.out.println("OMP_NUM_THREADS=" + omp + " OPENBLAS_NUM_THREADS=" + blas
        + " OPENBLAS_CORETYPE=" + env("OPENBLAS_CORETYPE")
        + " | ND4J maxThreads=" + Nd4j.getEnvironment().maxThreads()
        + " maxMasterThreads=" + Nd4j.getEnvironment().maxMasterThreads()
        + " | OpenBLAS threads=" + openblas_nolapack.blas_get_num_threads()
        + " | javacpp maxPhysicalBytes=" + System.getProperty("org.bytedeco.javacpp.maxPhysicalBytes", "(default)")
        + " | cores=" + Runtime.getRuntime().availableProcessors());
    String wanted = Integer.toString(threads);
    if (!wanted.equals(omp) || !wanted.equals(blas)) {
      System.out.println("note: --threads " + threads + " but OMP_NUM_THREADS=" + omp + " and OPENBLAS_NUM_THREADS="
          + blas + "; thread counts come from the environment");
    }
  }

  private static String env(String name) {
    String v = System.getenv(name);
    return v == null ? "(unset)" : v;
  }

  private static String nd4jVersion() {
    try (InputStream in = Nd4j.class.getResourceAsStream("/META-INF/maven/org.nd4j/nd4j-api/pom.properties")) {
      if (in == null) return "?";
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "?");
    } catch (IOException e) {
      return "?";
    }
  }

  private static String openblasVersion() {
    String v = openblas_nolapack.class.getPackage().getImplementationVersion();
    return v == null ? "?" : v;
  }

  /**
   * Gaussian features and labels drawn from a random linear teacher through a logistic link (the same recipe as
   * the PyTorch twin; not bit-identical to it).
   */
  static float[][] synthetic(int rows, int cols, long seed) {
    Random random = new Random(seed);
    double[] teacher = new double[cols];
    for (int j = 0; j < cols; j++) teacher[j] = random.nextGaussian() / Math.sqrt(cols);
    float[] x = new float[rows * cols];
    float[] y = new float[rows];
    for (int r = 0; r < rows; r++) {
      double score = 0;
      for (int j = 0; j < cols; j++) {
        float v = (float) random.nextGaussian();
        x[r * cols + j] = v;
        score += v * teacher[j];
      }
      y[r] = random.nextDouble() < 1 / (1 + Math.exp(-3 * score)) ? 1 : 0;
    }
    return new float[][] {x, y};
  }

}
