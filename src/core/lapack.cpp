#include "taskscout/core/lapack.hpp"

#include <cstddef>
#include <string>
#include <vector>

#include "taskscout/core/error.hpp"

// Fortran entry points (gfortran calling convention: hidden string lengths last).
extern "C" {
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc, std::size_t, std::size_t);
void dsytrd_(const char* uplo, const int* n, double* a, const int* lda, double* d, double* e, double* tau, double* work,
             const int* lwork, int* info, std::size_t);
void dormtr_(const char* side, const char* uplo, const char* trans, const int* m, const int* n, const double* a,
             const int* lda, const double* tau, double* c, const int* ldc, double* work, const int* lwork, int* info,
             std::size_t, std::size_t, std::size_t);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c, const int* ldc,
            std::size_t, std::size_t);
// Present only when OpenBLAS provides libblas.so.3; weak so other BLASes still link.
void openblas_set_num_threads(int) __attribute__((weak));
}

namespace taskscout::lapack {

void syrk_lower(bool trans, int n, int k, const double* a, int lda, double* c, int ldc) {
  const double one = 1.0;
  dsyrk_("L", trans ? "T" : "N", &n, &k, &one, a, &lda, &one, c, &ldc, 1, 1);
}

void tridiagonalize(int n, double* a, int lda, double* d, double* e, int m, double* b) {
  if (n == 0) return;
  std::vector<double> tau(static_cast<std::size_t>(n > 1 ? n - 1 : 1));
  int info = 0, lwork = -1;
  double query = 0;
  dsytrd_("L", &n, a, &lda, d, e, tau.data(), &query, &lwork, &info, 1);
  lwork = static_cast<int>(query);
  std::vector<double> work(static_cast<std::size_t>(std::max(lwork, 1)));
  dsytrd_("L", &n, a, &lda, d, e, tau.data(), work.data(), &lwork, &info, 1);
  if (info != 0) throw Error("internal: LAPACK dsytrd failed with info " + std::to_string(info));
  if (m == 0) return;
  lwork = -1;
  dormtr_("L", "L", "T", &n, &m, a, &lda, tau.data(), b, &n, &query, &lwork, &info, 1, 1, 1);
  lwork = static_cast<int>(query);
  work.assign(static_cast<std::size_t>(std::max(lwork, 1)), 0.0);
  dormtr_("L", "L", "T", &n, &m, a, &lda, tau.data(), b, &n, work.data(), &lwork, &info, 1, 1, 1);
  if (info != 0) throw Error("internal: LAPACK dormtr failed with info " + std::to_string(info));
}

void gemm_f32(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
              int ldb, float beta, float* c, int ldc) {
  sgemm_(trans_a ? "T" : "N", trans_b ? "T" : "N", &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}

void set_blas_threads(int n) {
  if (openblas_set_num_threads) openblas_set_num_threads(n);
}

}  // namespace taskscout::lapack
