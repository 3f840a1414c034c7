package org.dure.protocol.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.dure.protocol.study.StudySpec;
import org.dure.protocol.study.StudySpecParser;
import org.dure.protocol.wire.SiteStatistics.NumericMoments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FeatureScalingTest {
  /** Encoded inputs: age, sex=F, sex=M, sex=X, lactate. */
  private static final StudySpec SPEC = StudySpecParser.parse("""
      {
        "model": {"kind": "logistic_regression"},
        "features": ["age", {"name": "sex", "type": "categorical", "categories": ["F", "M", "X"]}, "lactate"],
        "label": {"column": "died_30d", "positive": "1"},
        "training": {}
      }
      """);

  /** Moments of {@code values} as one site would report them: a plain running sum. */
  private static NumericMoments moments(String feature, double... values) {
    double sum = 0, squares = 0;
    for (double v : values) {
      sum += v;
      squares += v * v;
    }
    return new NumericMoments(feature, values.length, sum, squares);
  }

  private static double[] repeat(double value, int times) {
    double[] a = new double[times];
    Arrays.fill(a, value);
    return a;
  }

  @Test void numericColumnsUsePooledMeanAndStandardDeviation() {
    // Prepare: site A has age 30, 50 and lactate 1, 3; site B has age 40 and lactate 2, 2
    NumericMoments age = moments("age", 30, 50).plus(moments("age", 40));
    NumericMoments lactate = moments("lactate", 1, 3).plus(moments("lactate", 2, 2));

    // Execute
    FeatureScaling s = FeatureScaling.fromMoments(SPEC, List.of(lactate, age));

    // Assert: population sd of {30, 40, 50} is sqrt(200/3); of {1, 2, 2, 3} it is sqrt(0.5)
    assertArrayEquals(new double[] {40, 0, 0, 0, 2}, s.means(), 1e-12);
    assertArrayEquals(new double[] {Math.sqrt(200.0 / 3), 1, 1, 1, Math.sqrt(0.5)}, s.scales(), 1e-12);
    assertEquals(Map.of("age", 40.0, "lactate", 2.0), s.imputeValues());
  }

  @Test void oneHotColumnsKeepMeanZeroAndScaleOne() {
    // Execute
    FeatureScaling s = FeatureScaling.fromMoments(SPEC, List.of(moments("age", 10, 20), moments("lactate", 4, 8)));

    // Assert
    assertArrayEquals(new double[] {0, 0, 0}, Arrays.copyOfRange(s.means(), 1, 4));
    assertArrayEquals(new double[] {1, 1, 1}, Arrays.copyOfRange(s.scales(), 1, 4));
  }

  @Test void exactlyConstantFeatureGetsScaleOne() {
    // Execute
    FeatureScaling s = FeatureScaling.fromMoments(SPEC, List.of(moments("age", 10, 20), moments("lactate", 2, 2, 2)));

    // Assert
    assertEquals(2.0, s.means()[4]);
    assertEquals(1.0, s.scales()[4]);
  }

  @ParameterizedTest
  @CsvSource({"0.1, 10, 1", "37.3, 1000, 2", "98.6, 4777, 3", "1234.56, 1000000, 1"})
  void constantFeatureWithRoundingErrorInItsMomentsGetsScaleOne(double value, int rowsPerSite, int sites) {
    // Prepare: the value is not exact in binary, so each site's sum and sum of squares carry rounding error
    NumericMoments lactate = moments("lactate");
    for (int i = 0; i < sites; i++) lactate = lactate.plus(moments("lactate", repeat(value, rowsPerSite)));

    // Execute
    FeatureScaling s = FeatureScaling.fromMoments(SPEC, List.of(moments("age", 10, 20), lactate));

    // Assert
    assertEquals(value, s.means()[4], 1e-9 * value);
    assertEquals(1.0, s.scales()[4]);
  }

  @Test void spreadIsJudgedRelativeToTheFeatureMagnitude() {
    // Prepare: a feature recorded in tiny units, mean 2e-14 and standard deviation 1e-14
    FeatureScaling s = FeatureScaling.fromMoments(SPEC,
        List.of(moments("age", 10, 20), moments("lactate", 1e-14, 3e-14)));

    // Assert
    assertEquals(1e-14, s.scales()[4], 1e-23);
  }

  @Test void smallButRealSpreadIsKept() {
    // Prepare: values of order 1e-6 with a spread of the same order
    FeatureScaling s = FeatureScaling.fromMoments(SPEC,
        List.of(moments("age", 10, 20), moments("lactate", 1e-6, 3e-6)));

    // Assert
    assertEquals(2e-6, s.means()[4], 1e-18);
    assertEquals(1e-6, s.scales()[4], 1e-15);
  }

  @Test void numericFeatureThatNoSiteReportedIsRejected() {
    // Execute
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> FeatureScaling.fromMoments(SPEC, List.of(moments("age", 10, 20))));

    // Assert
    assertEquals("no site reported a value for numeric feature 'lactate'", e.getMessage());
  }

  @Test void numericFeatureWithZeroCountIsRejected() {
    // Execute
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> FeatureScaling.fromMoments(SPEC, List.of(moments("age"), moments("lactate", 1, 2))));

    // Assert
    assertEquals("no site reported a value for numeric feature 'age'", e.getMessage());
  }

  @Test void momentsOfDifferentFeaturesCannotBeAdded() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> moments("age", 1).plus(moments("lactate", 2)));

    // Assert
    assertEquals("cannot add moments of lactate to age", e.getMessage());
  }

  @Test void meansAndScalesOfDifferentLengthAreRejected() {
    // Execute
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new FeatureScaling(new double[2], new double[3], Map.of()));

    // Assert
    assertEquals("means and scales differ in length: 2 vs 3", e.getMessage());
  }
}
