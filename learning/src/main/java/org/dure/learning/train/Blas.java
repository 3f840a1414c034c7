package org.dure.learning.train;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasColMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Column-major single-precision BLAS on ND4J's native buffers, calling the OpenBLAS that ND4J's CPU backend
 * itself links (its {@code CpuLevel3.sgemm} makes the same call). Going direct skips the per-call cost of
 * {@code Nd4j.gemm}, a custom op with shape checks: about 25 µs per call, 6-15 % of each GEMM of the 100-256-256-1
 * MLP at batch 256. GEMV is used where one dimension is 1: OpenBLAS's SGEMM takes ~45 µs there, SGEMV ~3 µs.
 */
final class Blas {
  private Blas() {}

  /** {@code C[m x n] = alpha * op(A) * op(B) + beta * C}, all column-major. */
  static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatPointer a, int lda,
                   FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
    openblas_nolapack.cblas_sgemm(CblasColMajor, transA ? CblasTrans : CblasNoTrans,
        transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }

  /** {@code y = alpha * op(A) * x + beta * y} with {@code A} column-major {@code [m x n]}. */
  static void gemv(boolean transA, int m, int n, float alpha, FloatPointer a, int lda, FloatPointer x,
                   float beta, FloatPointer y) {
    openblas_nolapack.cblas_sgemv(CblasColMajor, transA ? CblasTrans : CblasNoTrans, m, n, alpha, a, lda,
        x, 1, beta, y, 1);
  }

  /** {@code y += alpha * x} over {@code n} elements. */
  static void axpy(int n, float alpha, FloatPointer x, FloatPointer y) {
    openblas_nolapack.cblas_saxpy(n, alpha, x, 1, y, 1);
  }
}
