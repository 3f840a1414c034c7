package org.dure.pseudonymisation;

import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Guards the module boundary of docs/architecture.md: pseudonymisation reads tables through
 * {@code dure-tabular} and must not bring ND4J or its native libraries (JavaCPP, OpenBLAS) onto a
 * classpath, as it did when it depended on {@code dure-learning}. The test classpath includes every
 * transitive compile dependency, so a dependency that pulls them in again fails here.
 */
class NoNd4jOnTheClasspathTest {
  @Test
  void nd4jIsNotOnThePseudonymisationClasspath() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.nd4j.linalg.factory.Nd4j"));
  }

  @Test
  void javacppAndOpenBlasAreNotOnThePseudonymisationClasspath() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.bytedeco.javacpp.Loader"));
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.bytedeco.openblas.global.openblas"));
  }

  @Test
  void theLearningModuleIsNotOnThePseudonymisationClasspath() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.dure.learning.data.StudyData"));
  }
}
