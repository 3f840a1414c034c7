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

  StudyParticipation(UUID studyId, StudySpec spec, StudyData data, String siteId) {
    this.studyId = studyId;
    this.spec = spec;
    this.data = data;
    this.siteId = siteId;
    ModelSpec m = spec.model();
    this.architecture = new Architecture(spec.inputWidth(), m.hiddenLayers(), Activation.parse(m.activation()));
    PrivacyPlan.DifferentialPrivacy plan = spec.privacy().differentialPrivacy();
    this.patientOfRow = data.trainPatients();
    this.patients = patientOfRow == null ? data.trainRows() : java.util.Arrays.stream(patientOfRow).max().orElse(-1) + 1;
    if (plan.enabled() && data.trainRows() > 0) {
      var t = spec.training();
      // the unit of privacy is the patient: with a patient key, patients are sampled (one row each per step)
      double q = DpSgdConfig.samplingRate(t.batchSize(), patients);
      long perRound = new DpSgdConfig(1, plan.clipNorm(), q).stepsPerRound(t.localEpochs());
      // σ is either the study's, or the smallest that keeps every step of every round within the study's target ε
      double sigma = plan.noiseMultiplier() > 0 ? plan.noiseMultiplier()
          : RdpAccountant.opacusDefaults().noiseMultiplier(plan.targetEpsilon(), plan.delta(), q, perRound * spec.training().rounds());
      this.dp = new DpSgdConfig(sigma, plan.clipNorm(), q);
      this.mechanism = new PrivacyBudget.Mechanism(q, sigma, plan.delta());
      this.stepsPerRound = perRound;
    } else {
      this.dp = null;
      this.mechanism = null;
      this.stepsPerRound = 0;
    }
  }

  /** Encodes both splits with the study's scaling (again only if the scaling changed). */
  void setUp(FeatureScaling newScaling) {
    if (newScaling.equals(scaling) && trainer != null) return;
    closeNative();
    scaling = newScaling;
    EncodedDataset encoded = data.encode(newScaling);
    EncodedSplit tr = encoded.train();
    EncodedSplit va = encoded.validation();
    train = TrainingData.of(tr.x(), tr.rows(), tr.cols(), tr.y());
    if (patientOfRow != null) train.withPatients(patientOfRow);
    validation = va.rows() == 0 ? null : TrainingData.of(va.x(), va.rows(), va.cols(), va.y());
    validationLabels = va.y();
    var t = spec.training();
    TrainingConfig config = new TrainingConfig(t.localEpochs(), t.batchSize(), t.learningRate(),
        Optimizer.parse(t.optimizer()), spec.aggregation().proximalMu());
    trainer = new LocalTrainer(architecture, dp == null ? config : config.withDpSgd(dp));
  }

  boolean ready() {
    return trainer != null;
  }

  long trainRows() {
    return data.trainRows();
  }

  long usableRows() {
    return data.trainRows() + data.validationRows();
  }

  /** How the given global model does on this site's validation split. */
  Evaluation evaluate(float[] global, int modelVersion) {
    lastModel = global.clone();
    lastModelVersion = modelVersion;
    if (validation == null) return new Evaluation(0, 0, Double.NaN, Double.NaN, Double.NaN, ScoreHistogram.empty());
    float[] p = Predictor.predictProbabilities(architecture, global, validation);
    BinaryMetrics m = BinaryMetrics.of(p, validationLabels);
    return new Evaluation(m.count(), m.positives(), m.logLoss(), m.accuracy(), m.auc(), ScoreHistogram.of(p, validationLabels));
  }

  /**
   * This site's validation-report counts for model {@code modelVersion}, which must be the last model evaluated here
   * (the coordinator sends the final model in a {@code GLOBAL_EVALUATE} frame before asking).
   */
  org.dure.protocol.wire.AgentMessage.ValidationReport report(int modelVersion, int minCellSize) {
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
        data.patientColumn() == null ? java.util.Set.of() : java.util.Set.of(data.patientColumn()));
  }

  /**
   * Local training from the global model; deterministic for the study seed, site and round — except with DP-SGD,
   * whose sampling and noise are drawn from a SecureRandom-seeded generator so that no one can reproduce them.
   */
  TrainOutcome train(float[] global, int round) {
    long seed = spec.training().seed() * 1_000_003L + siteId.hashCode() * 31L + round;
    TrainOutcome o = trainer.train(global, train, seed);
    lastTrainedRound = round;
    lastTrainedGlobal = global.clone();
    lastOutcome = o;
    return o;
  }

  /** Whether round {@code round} was already trained here from exactly {@code global} (a retried attempt). */
  boolean trainedBefore(int round, float[] global) {
    return lastOutcome != null && lastTrainedRound == round && java.util.Arrays.equals(lastTrainedGlobal, global);
  }

  /** Whether this site already trained round {@code round} (with DP: its budget is already spent for it). */
  boolean trainedRound(int round) {
    return mechanism != null && lastOutcome != null && lastTrainedRound == round;
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
