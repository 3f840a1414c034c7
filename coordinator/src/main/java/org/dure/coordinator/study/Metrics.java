package org.dure.coordinator.study;

import org.dure.protocol.metrics.Evaluation;

/** Validation metrics of one model at one site or pooled over sites (API form, without histograms). */
public record Metrics(long count, long positives, double logLoss, double accuracy, double auc) {
  public static Metrics of(Evaluation e) {
    return new Metrics(e.count(), e.positives(), e.logLoss(), e.accuracy(), e.auc());
  }
}
