package org.dure.protocol.model;

import java.util.Random;
import org.dure.protocol.study.ModelSpec;
import org.dure.protocol.study.StudySpec;

/**
 * The global model before round 1: Glorot-uniform weights from the study seed, zero biases (all zeros for logistic
 * regression). Deterministic, so every run of a study starts from the same model.
 */
public final class InitialModel {
  private InitialModel() {}

  public static float[] of(StudySpec spec) {
    int inputs = spec.inputWidth();
    float[] p = new float[spec.model().parameterCount(inputs)];
    Random rnd = new Random(spec.training().seed());
    for (ModelSpec.Tensor t : spec.model().tensors(inputs)) {
      if (t.shape().length != 2) continue;
      int in = t.shape()[0], out = t.shape()[1];
      double limit = Math.sqrt(6.0 / (in + out));
      if (spec.model().kind() == ModelSpec.Kind.LOGISTIC_REGRESSION) limit = 0; // a convex model starts at zero
      for (int i = 0; i < t.length(); i++) p[t.offset() + i] = (float) ((rnd.nextDouble() * 2 - 1) * limit);
    }
    return p;
  }
}
