package org.dure.learning.estimation;

import java.util.List;
import java.util.Objects;

/**
 * The layout of one site's contribution, a flat vector whose length depends only on the model, so that sites'
 * vectors can be summed element by element (in the clear or under secure aggregation):
 * <pre>
 * [0]                         objective: log-likelihood (log partial likelihood for Cox); for a linear model the
 *                             residual sum of squares at the coefficients, which is y'y at zero
 * [1, 1+q)                    gradient of the objective (the score; X'(y - X b) for a linear model)
 * [1+q, 1+q+q(q+1)/2)         the information matrix (minus the Hessian; X'X for a linear model), upper triangle
 *                             row by row: (0,0), (0,1) ... (0,q-1), (1,1) ... (q-1,q-1)
 * [1+q+q(q+1)/2, length)      counts, named by {@link #counts()}
 * </pre>
 * with {@code q} the number of parameters.
 */
public record ContributionLayout(int parameters, List<String> counts) {
  public ContributionLayout {
    if (parameters < 1) throw new IllegalArgumentException("parameters must be >= 1, was " + parameters);
    counts = List.copyOf(Objects.requireNonNull(counts, "counts"));
  }

  public static final int OBJECTIVE = 0;

  public int gradientOffset() { return 1; }

  public int informationOffset() { return 1 + parameters; }

  public int countsOffset() { return informationOffset() + parameters * (parameters + 1) / 2; }

  public int length() { return countsOffset() + counts.size(); }

  /** Index in the vector of information element {@code (i, j)}, either order. */
  public int information(int i, int j) {
    if (i > j) { int t = i; i = j; j = t; }
    if (i < 0 || j >= parameters) {
      throw new IndexOutOfBoundsException("information (" + i + ", " + j + ") outside " + parameters + " parameters");
    }
    return informationOffset() + i * parameters - i * (i - 1) / 2 + (j - i);
  }

  /** Index in the vector of the count named {@code name}. */
  public int count(String name) {
    int k = counts.indexOf(name);
    if (k < 0) throw new IllegalArgumentException("no count named " + name + " in " + counts);
    return countsOffset() + k;
  }
}
