package org.dure.coordinator.study;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dure.coordinator.report.ReportFiles;
import org.dure.coordinator.report.StudyReport;
import org.dure.crypto.Digests;
import org.dure.protocol.model.FeatureScaling;
import org.dure.protocol.model.InitialModel;
import org.dure.protocol.model.ModelFiles;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.wire.AgentMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a study leaves on the coordinator's disk: a checkpoint of the global model after every round, and at the end
 * the final model with its validation report ({@code report.json}, {@code report.html}); files are written on worker
 * threads.
 */
final class StudyOutputs {
  private static final Logger log = LoggerFactory.getLogger(StudyOutputs.class);

  /** The final model's directory and the study's completion reason (naming a report that could not be made). */
  record Finished(Path modelDir, String reason) {}

  private final Vertx vertx;
  private final StudyStore store;
  private final String id;
  private final StudySpec spec;
  private final Path studyDir;

  StudyOutputs(Vertx vertx, StudyStore store, String id, StudySpec spec, Path studyDir) {
    this.vertx = vertx;
    this.store = store;
    this.id = id;
    this.spec = spec;
    this.studyDir = studyDir;
  }

  /**
   * The model the study (re)starts from: its latest checkpoint, or the initial model when it has none. A checkpoint
   * that cannot be read fails the study naming it (never silently replaced by the initial model, which would discard
   * the completed rounds). Runs on a worker thread.
   */
  float[] startingModel(String checkpoint, int rounds, int parameters) {
    if (checkpoint == null) return InitialModel.of(spec);
    String why;
    try {
      float[] p = ModelFiles.readParameters(Path.of(checkpoint));
      if (p.length == parameters) return p;
      why = "it has " + p.length + " parameters, the study's model " + parameters;
    } catch (java.io.IOException | RuntimeException e) {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    throw new IllegalStateException("the checkpoint " + checkpoint + " of round " + rounds + " cannot be read (" + why
        + "); the study is not restarted from its initial model, which would discard " + rounds + " completed rounds");
  }

  /** Writes the model after {@code round} to {@code checkpoints/round-NNNN}; {@code params} must not change meanwhile. */
  Future<Path> checkpoint(int round, float[] params, FeatureScaling scaling, Metrics pooled) {
    return save(studyDir.resolve("checkpoints").resolve(String.format("round-%04d", round)), params, round, scaling, pooled);
  }

  /**
   * Saves the final model and then the validation report assembled from the sites' counts ({@code asked}: the sites
   * asked for them). Fails only when the model cannot be saved: a report that cannot be made, stored or written is
   * logged and named in the reason, and the study still completes with its model.
   */
  Future<Finished> finish(int rounds, float[] params, FeatureScaling scaling, Metrics pooled,
                          Map<String, AgentMessage.ValidationReport> reports, List<String> asked) {
    StudyReport assembled;
    try {
      assembled = StudyReport.assemble(id, spec.name(), rounds, spec.report().threshold(), reports, asked);
    } catch (RuntimeException e) {
      log.error("study {}: could not assemble the validation report", id, e);
      assembled = null;
    }
    StudyReport report = assembled;
    return save(studyDir.resolve("model"), params, rounds, scaling, pooled).compose(dir -> {
      String completed = "completed " + rounds + " rounds; model saved to " + dir;
      if (report == null) {
        return Future.succeededFuture(new Finished(dir, completed + "; the validation report could not be made (see the coordinator log)"));
      }
      try {
        store.putReport(report);
      } catch (RuntimeException e) {
        log.error("study {}: could not store the validation report", id, e);
      }
      return vertx.executeBlocking(() -> {
        ReportFiles.write(dir, report);
        return dir;
      }, false).transform(w -> {
        if (w.succeeded()) return Future.succeededFuture(new Finished(dir, completed));
        log.error("study {}: could not write the validation report to {}", id, dir, w.cause());
        return Future.succeededFuture(new Finished(dir, completed + "; the validation report could not be written: " + w.cause()));
      });
    });
  }

  private Future<Path> save(Path dir, float[] params, int round, FeatureScaling scaling, Metrics pooled) {
    ObjectNode metrics = StudyStore.JSON.createObjectNode();
    if (pooled != null) metrics.set("validation", StudyStore.JSON.valueToTree(pooled));
    metrics.put("round", round);
    metrics.put("parametersSha256", Digests.modelSha256(params));
    ModelFiles.Metadata meta = new ModelFiles.Metadata(id, spec.name(), round, metrics);
    return vertx.executeBlocking(() -> {
      ModelFiles.write(dir, spec, scaling, params, meta);
      return dir.toAbsolutePath();
    }, false).onFailure(e -> log.error("study {}: could not write model to {}: {}", id, dir, e.toString()));
  }
}
