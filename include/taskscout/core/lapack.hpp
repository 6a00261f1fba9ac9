#pragma once
// The few BLAS/LAPACK kernels taskscout calls directly, because ATen does not expose
// them or calls them less well: a symmetric rank-k update (half the flops of a GEMM), the
// Householder tridiagonalization of a symmetric matrix, and single-threaded sgemm for
// batches of small products. They come from the system libblas.so.3 /
// liblapack.so.3, which OpenBLAS provides (the same libraries libtorch uses).
// Matrices are column-major, as LAPACK expects; a row-major N×D array is a column-major
// D×N matrix with leading dimension D.

namespace taskscout::lapack {

// C := C + Aᵀ·A (trans) or C + A·Aᵀ (no trans), lower triangle of the n×n matrix C only.
// A is column-major with leading dimension lda; k is the inner dimension.
void syrk_lower(bool trans, int n, int k, const double* a, int lda, double* c, int ldc);

// Reduces the symmetric n×n matrix A (leading dimension lda; lower triangle used and
// overwritten) to tridiagonal form Qᵀ A Q = T, with diagonal d (n) and off-diagonal e
// (n−1); then overwrites the column-major n×m matrix B with Qᵀ·B. Throws Error if LAPACK
// reports a failure.
void tridiagonalize(int n, double* a, int lda, double* d, double* e, int m, double* b);

// C := alpha·op(A)·op(B) + beta·C in single precision (sgemm), column-major; op(A) is
// m×k, op(B) k×n. For the many small products ATen would run one after another.
void gemm_f32(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
              int ldb, float beta, float* c, int ldc);

// Sets the thread count of OpenBLAS's own pool when OpenBLAS provides the BLAS.
void set_blas_threads(int n);

}  // namespace taskscout::lapack
