package org.dure.agent.study;

import java.util.UUID;
import org.dure.agent.privacy.PrivacyBudget;
import org.dure.learning.data.EncodedDataset;
import org.dure.learning.data.EncodedSplit;
import org.dure.learning.data.StudyData;
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
import org.dure.protocol.metrics.Evaluation;
import org.dure.protocol.metrics.ScoreHistogram;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.privacy.RdpAccountant;
import org.dure.protocol.study.ModelSpec;
import org.dure.protocol.study.PrivacyPlan;
import org.dure.protocol.study.StudySpec;

/**
 * This site's part in one study: its prepared local data, and — once the federated scaling is known —
 * the encoded training and validation splits in native memory and a trainer. Used from the agent's
 * single training thread only.
 */
final class StudyParticipation implements AutoCloseable {
  final UUID studyId;
  final StudySpec spec;
  final StudyData data;
  private final String siteId;
  private final Architecture architecture;
  private FeatureScaling scaling;
  private TrainingData train, validation;
  private boolean oneClassTraining;
  private float[] validationLabels;
  private LocalTrainer trainer;
  /** The last global model evaluated here and its version (-1: none yet), for the validation report. */
  private float[] lastModel;
  private int lastModelVersion = -1;
  /** DP-SGD as this site runs it for the study (null without differential privacy). */
  final DpSgdConfig dp;
  /** The same, as the privacy budget accounts it (null without differential privacy). */
  final PrivacyBudget.Mechanism mechanism;
  /** Noisy steps per round: local epochs x round(1/q). */
  final long stepsPerRound;
  /** Each training row's patient (dense index), or null when every row is a different patient. */
  private final int[] patientOfRow;
  final int patients;
  private int lastTrainedRound = -1;
  private float[] lastTrainedGlobal;
  private TrainOutcome lastOutcome;
  /** SHA-256 of the global models trained from here (a second training from one gets fresh randomness). */
  private final java.util.Set<String> trainedFrom = new java.util.HashSet<>();
  /** What each model version's evaluation sent (a retried attempt resends it; nothing is computed twice). */
  private final java.util.Map<Integer, Evaluation> evaluations = new java.util.HashMap<>();
  /** This site's statistics of its training split (computed once: the data does not change during a study). */
  private org.dure.protocol.wire.SiteStatistics statistics;
  /** Each validation row's patient (dense index), or null when every row is a patient. */
  private final int[] patientOfValidationRow;

  /**
   * @throws Decline when this site cannot train the study as defined (a differential-privacy target no noise reaches)
   */
  StudyParticipation(UUID studyId, StudySpec spec, StudyData data, String siteId) throws Decline {
    this.studyId = studyId;
    this.spec = spec;
    this.data = data;
    this.siteId = siteId;
    ModelSpec m = spec.model();
    this.architecture = new Architecture(spec.inputWidth(), m.hiddenLayers(), Activation.parse(m.activation()));
    PrivacyPlan.DifferentialPrivacy plan = spec.privacy().differentialPrivacy();
    this.patientOfRow = data.trainPatients();
    this.patientOfValidationRow = data.validationPatients();
    this.patients = patientOfRow == null ? data.trainRows() : java.util.Arrays.stream(patientOfRow).max().orElse(-1) + 1;
    if (plan.enabled() && data.trainRows() > 0) {
      var t = spec.training();
      // the unit of privacy is the patient: with a patient key, patients are sampled (one row each per step)
      double q = DpSgdConfig.samplingRate(t.batchSize(), patients);
      long perRound = new DpSgdConfig(1, plan.clipNorm(), q).stepsPerRound(t.localEpochs());
      // σ is either the study's, or the smallest that keeps every step of every round within the study's target ε
      double sigma = plan.noiseMultiplier() > 0 ? plan.noiseMultiplier()
          : noiseFor(plan, q, perRound * spec.training().rounds(), spec.training().rounds(), siteId);
      this.dp = new DpSgdConfig(sigma, plan.clipNorm(), q);
      this.mechanism = new PrivacyBudget.Mechanism(q, sigma, plan.delta());
      this.stepsPerRound = perRound;
    } else {
      this.dp = null;
      this.mechanism = null;
      this.stepsPerRound = 0;
    }
  }

  /**
   * The least noise multiplier that keeps {@code steps} DP-SGD steps within the study's target ε, or why there is none:
   * below what even unlimited noise gives at the study's δ (the conversion from Rényi DP itself costs that much), or
   * needing a noise multiplier above 10^12. The reason names the target, δ and the rounds, and what to change.
   */
  static double noiseFor(PrivacyPlan.DifferentialPrivacy plan, double q, long steps, int rounds, String siteId)
      throws Decline {
    RdpAccountant accountant = RdpAccountant.opacusDefaults();
    String target = "the study's differential-privacy target (privacy.differentialPrivacy.targetEpsilon) ε = "
        + plan.targetEpsilon() + " at δ = " + plan.delta() + " over " + rounds + " rounds";
    double floor = accountant.privacySpent(new double[accountant.orders().length], plan.delta()).epsilon();
    if (!(plan.targetEpsilon() > floor)) {
      throw new Decline(siteId + " declines: " + target + " cannot be reached: even unlimited noise gives ε = "
          + String.format(java.util.Locale.ROOT, "%.3g", floor) + " at that δ; set targetEpsilon above "
          + String.format(java.util.Locale.ROOT, "%.3g", floor) + " (1 to 10 is usual) or raise delta");
    }
    try {
      return accountant.noiseMultiplier(plan.targetEpsilon(), plan.delta(), q, steps);
    } catch (IllegalArgumentException e) {
      throw new Decline(siteId + " declines: " + target + " cannot be reached: it would need a noise multiplier"
          + " above 10^12 (" + steps + " noisy steps here); raise targetEpsilon or delta, or use fewer rounds or local epochs");
    }
  }

  /** What this site tells the coordinator about its training split, and checks the scaling against. */
  org.dure.protocol.wire.SiteStatistics statistics() {
    if (statistics == null) statistics = data.statistics();
    return statistics;
  }

  /** Encodes both splits with the study's scaling (again only if the scaling changed). */
  void setUp(FeatureScaling newScaling) {
    if (newScaling.equals(scaling) && trainer != null) return;
    closeNative();
    scaling = newScaling;
    EncodedDataset encoded = data.encode(newScaling);
    EncodedSplit tr = encoded.train();
    EncodedSplit va = encoded.validation();
    long positives = 0;
    for (float y : tr.y()) if (y > 0.5f) positives++;
    oneClassTraining = tr.rows() > 0 && (positives == 0 || positives == tr.rows());
    train = TrainingData.of(tr.x(), tr.rows(), tr.cols(), tr.y());
    if (patientOfRow != null) train.withPatients(patientOfRow);
    validation = va.rows() == 0 ? null : TrainingData.of(va.x(), va.rows(), va.cols(), va.y());
    validationLabels = va.y();
    var t = spec.training();
    TrainingConfig config = new TrainingConfig(t.localEpochs(), t.batchSize(), t.learningRate(),
        Optimizer.parse(t.optimizer()), spec.aggregation().proximalMu());
    trainer = new LocalTrainer(architecture, dp == null ? config : config.withDpSgd(dp));
  }

  /** What this site approved of the study's privacy, for the privacy chain's filters. */
  org.dure.agent.chain.StudyTerms terms() {
    return new org.dure.agent.chain.StudyTerms(studyId.toString(), spec, mechanism, stepsPerRound);
  }

  boolean ready() {
    return trainer != null;
  }

  /**
   * Whether the training split holds one class of the label only (both classes are in the data, but the split put a
   * small one wholly into validation): training would learn nothing and report a perfect accuracy, so the site sits
   * out the rounds with the reason.
   */
  boolean oneClassTraining() {
    return oneClassTraining;
  }

  long trainRows() {
    return data.trainRows();
  }

  long usableRows() {
    return data.trainRows() + data.validationRows();
  }

  /**
   * How the given global model does on this site's validation split, as it may leave the site: the score histogram
   * merged until every group holds {@code minCellSize} patients of each class, nothing when a class has fewer. The
   * caller has checked the model's provenance ({@link #provenanceRefusal}).
   */
  Evaluation evaluate(float[] global, int modelVersion, int minCellSize) {
    lastModel = global.clone();
    lastModelVersion = modelVersion;
    Evaluation e;
    if (validation == null) {
      e = SmallCells.withheld();
    } else {
      float[] p = Predictor.predictProbabilities(architecture, global, validation);
      e = SmallCells.evaluation(p, validationLabels, patientOfValidationRow, minCellSize);
    }
    evaluations.put(modelVersion, e);
    return e;
  }

  /** The evaluation already sent for this model version in this process, or null. */
  Evaluation evaluated(int modelVersion) {
    return evaluations.get(modelVersion);
  }

  /**
   * Why this site must not evaluate {@code model} as version {@code version}, or null. A site evaluates only the
   * models the protocol produces for it: version 0 is the study's initial model, which the site recomputes from the
   * definition it approved; version v is the global model after round v, and this site took part in a round u <= v
   * (from version u-1) — in a secure study each element can then have moved from version u-1 by at most v-u+1 times
   * what the study's element clip and aggregation strategy allow one round. Any other model (a crafted one, to turn the validation patients' scores into
   * a table of their covariates) is refused.
   */
  String provenanceRefusal(int version, float[] model, java.util.function.IntPredicate tookPartInRound) {
    if (model.length != spec.model().parameterCount(spec.inputWidth())) {
      return "model version " + version + " has " + model.length + " parameters, the approved study's model has "
          + spec.model().parameterCount(spec.inputWidth());
    }
    if (version == 0) {
      return java.util.Arrays.equals(model, org.dure.protocol.model.InitialModel.of(spec)) ? null
          : "model version 0 is not the study's initial model (which this site computes from the approved definition)";
    }
    int u = lastTrainedRound;
    if (lastTrainedGlobal == null || u < 1 || u > version || !tookPartInRound.test(u)) {
      return "this site took part in no round up to round " + version + ", which produced model version " + version
          + ", so it cannot tell that model from a crafted one";
    }
    if (!spec.privacy().secureAggregation().enabled()) return null;
    // From version u-1, which this site trained round u from, rounds u..version can move each parameter this far.
    double bound = maxStep() * (version - u + 1);
    for (int i = 0; i < model.length; i++) {
      double step = Math.abs((double) model[i] - lastTrainedGlobal[i]);
      if (!(step <= bound)) {
        return String.format(java.util.Locale.ROOT, "model version %d moved parameter %d by %.4g from version %d, more"
            + " than the %.4g that %d secure round(s) can move it", version, i, step, u - 1, bound, version - u + 1);
      }
    }
    return null;
  }

  /** The most one secure round can move any parameter: the element clip through the aggregation strategy's step. */
  private double maxStep() {
    double clip = spec.privacy().secureAggregation().clip();
    var a = spec.aggregation();
    double step = a.strategy() == org.dure.protocol.study.AggregationPlan.Strategy.FEDADAM
        ? a.serverLearningRate() * clip / a.tau() : clip;
    return step * (1 + 1e-3) + 1e-6; // fixed-point and float rounding
  }

  /**
   * Why the study's feature scaling cannot come from a pool that contains this site's training rows, or null. Over a
   * pool of at most {@code totalRows} rows that holds this site's, {@code totalRows * scale^2} is at least this site's
   * own sum of squared deviations from the pooled mean; a scaling that breaks this (a tiny scale, a far-off mean, to
   * spread one patient's value over the model's inputs) was not computed from what this site sent.
   */
  String scalingRefusal(long totalRows) {
    if (scaling == null) return "no feature scaling was set up";
    double[] means = scaling.means(), scales = scaling.scales();
    java.util.Map<String, org.dure.protocol.wire.SiteStatistics.NumericMoments> own = new java.util.HashMap<>();
    for (var m : statistics().numeric()) own.put(m.feature(), m);
    int col = 0;
    for (org.dure.protocol.study.FeatureSpec f : spec.features()) {
      if (f.type() == org.dure.protocol.study.FeatureSpec.Type.NUMERIC) {
        var m = own.get(f.name());
        double mean = means[col], sd = scales[col];
        if (!Double.isFinite(mean) || !(sd > 0) || !Double.isFinite(sd)) {
          return "the scaling of feature '" + f.name() + "' (mean " + mean + ", scale " + sd + ") is not a valid one";
        }
        Double impute = scaling.imputeValues().get(f.name());
        if (impute != null && Double.compare(impute, mean) != 0) {
          return "the imputation value of feature '" + f.name() + "' is not its pooled mean";
        }
        if (m != null && m.count() > 0) {
          double ownSquares = m.sumSquares() - 2 * mean * m.sum() + m.count() * mean * mean;
          double capacity = totalRows * sd * sd;
          if (ownSquares > capacity * (1 + 1e-6) + 1e-9 * Math.abs(m.sumSquares())) {
            return String.format(java.util.Locale.ROOT, "the scaling of feature '%s' (mean %.6g, scale %.6g) cannot"
                + " come from a pool of at most %d rows that contains this site's %d", f.name(), mean, sd, totalRows,
                m.count());
          }
        }
      } else if (f.type() != org.dure.protocol.study.FeatureSpec.Type.NUMERIC) {
        for (int c = col; c < col + f.width(); c++) {
          if (means[c] != 0 || scales[c] != 1) return "the scaling of categorical feature '" + f.name() + "' is not the identity";
        }
      }
      col += f.width();
    }
    return null;
  }

  /**
   * This site's validation-report counts for model {@code modelVersion}, which must be the last model evaluated here
   * (the coordinator sends the final model in a {@code GLOBAL_EVALUATE} frame before asking).
   */
  org.dure.protocol.wire.AgentMessage.ValidationReport report(int modelVersion, int minCellSize,
      java.util.function.BiFunction<String, java.util.List<Double>, java.util.List<Double>> bands) {
    String study = studyId.toString();
    var unavailable = org.dure.protocol.wire.AgentMessage.ValidationReport.UNAVAILABLE;
    if (lastModel == null || lastModelVersion != modelVersion) {
      return org.dure.protocol.wire.AgentMessage.ValidationReport.without(study, modelVersion, unavailable, siteId
          + " has not evaluated model version " + modelVersion + " (its last is " + lastModelVersion + ")", minCellSize);
    }
    if (validation == null) {
      return org.dure.protocol.wire.AgentMessage.ValidationReport.without(study, modelVersion, unavailable, siteId
          + " has no validation rows", minCellSize);
    }
    float[] p = Predictor.predictProbabilities(architecture, lastModel, validation);
    return ValidationSummary.of(study, modelVersion, spec.report(), minCellSize, p, validationLabels, data::validationValues,
        data.patientColumn() == null ? java.util.Set.of() : java.util.Set.of(data.patientColumn()), patientOfValidationRow,
        bands);
  }

  /**
   * Local training from the global model; deterministic for the study seed, site and round — except with DP-SGD,
   * whose sampling and noise are drawn from a SecureRandom-seeded generator so that no one can reproduce them.
   */
  TrainOutcome train(float[] global, String globalSha256, int round) {
    long seed = spec.training().seed() * 1_000_003L + siteId.hashCode() * 31L + round;
    // Training again from a model already trained from (a retried attempt): randomness that no one can repeat, so that
    // two sums over rosters differing by one site never differ by exactly that site's update.
    if (!trainedFrom.add(globalSha256)) seed ^= org.dure.learning.train.LocalTrainer.secureNoise().nextLong();
    TrainOutcome o = trainer.train(global, train, seed);
    lastTrainedRound = round;
    lastTrainedGlobal = global.clone();
    lastOutcome = o;
    return o;
  }

  /** Whether round {@code round} was trained here (the last training), so its model version can be checked. */
  boolean trainedLast(int round) {
    return lastOutcome != null && lastTrainedRound == round;
  }

  /** Whether round {@code round} was already trained here from exactly {@code global} (a retried attempt). */
  boolean trainedBefore(int round, float[] global) {
    return lastOutcome != null && lastTrainedRound == round && java.util.Arrays.equals(lastTrainedGlobal, global);
  }

  TrainOutcome lastOutcome() {
    return lastOutcome;
  }

  private void closeNative() {
    if (trainer != null) trainer.close();
    if (train != null) train.close();
    if (validation != null) validation.close();
    trainer = null;
    train = validation = null;
  }

  @Override public void close() {
    closeNative();
  }
}
