// ESM-LogME with statistics of the target shared by every source.
//
// Derivation. Let X (N×D) be the target's base embeddings and Y (N×C) its LogME target
// columns. A source's ESM maps X to F = X·Wᵀ + 1bᵀ = X̃·W̃ᵀ with X̃ = [X 1] (N×(D+1)) and
// W̃ = [W b] (D×(D+1)). Factor once per target, by Householder QR, X̃ = Q·R with Q (N×r)
// orthonormal columns and R (r×(D+1)) upper trapezoidal, r = min(N, D+1); this is exact
// for rank-deficient X̃ too (R then has zero or tiny diagonal entries, no pivoting
// needed). Then F = Q·M with M = R·W̃ᵀ (r×D), and LogME reads F only through (see
// estimate/logme_gram.hpp):
//   primal, N > D (r = D+1):  FᵀF = MᵀQᵀQM = MᵀM,   FᵀY = Mᵀ(QᵀY),   ‖y_c‖² unchanged;
//   dual,   N ≤ D (r = N, Q square orthogonal):  FFᵀ = Q(MMᵀ)Qᵀ, and yᵀ(FFᵀ + tI)⁻¹y =
//            (Qᵀy)ᵀ(MMᵀ + tI)⁻¹(Qᵀy), logdet(FFᵀ + tI) = logdet(MMᵀ + tI): the same
//            evidence as features M with labels QᵀY, since Q is an orthogonal change of
//            basis of the example space;
// and N, the number of examples, enters the evidence only as a number. So with R, QᵀY and
// ‖y_c‖² computed once, each source needs M = R·W̃ᵀ, the Gram matrix of M and LogME's
// tridiagonalization: O(r·D²) ≤ O(D³), independent of N for N > D. No approximation is
// made: both paths compute the same quantities in float64, so they agree to rounding.
//
// Per-source cost for N > D (r = D+1): the triangular product M = R·W̃ᵀ (dtrmm, (D+1)²·D
// flops), the Gram matrix MᵀM (dsyrk, D²·(D+1)), Mᵀ(QᵀY) (2·(D+1)·D·C) and LogME's
// tridiagonalization (4/3·D³ + 2·D²·C).
#include "taskscout/select/esm_logme.hpp"

#include <fmt/format.h>

#include <cstddef>
#include <cstring>

#include "taskscout/core/error.hpp"
#include "taskscout/core/lapack.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/logme_gram.hpp"

extern "C" {
// B := alpha·op(A)·B with A triangular (BLAS, Fortran calling convention).
void dtrmm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m, const int* n,
            const double* alpha, const double* a, const int* lda, double* b, const int* ldb, std::size_t, std::size_t,
            std::size_t, std::size_t);
}

namespace taskscout {

namespace {

// W̃ = [W b] as a row-major D×(D+1) float64 matrix, filled by plain loops (no ATen
// dispatch, so it stays on the calling worker's thread).
template <class T>
void fill_augmented(const Esm& esm, double* out) {
  const std::int64_t d = esm.dim();
  const auto w = esm.weight.values<T>();
  const auto b = esm.bias.values<T>();
  for (std::int64_t i = 0; i < d; ++i) {
    double* row = out + i * (d + 1);
    const T* src = w.data() + i * d;
    for (std::int64_t j = 0; j < d; ++j) row[j] = static_cast<double>(src[j]);
    row[d] = static_cast<double>(b[i]);
  }
}

// An m×m float64 zero matrix, cleared on this thread (at::zeros would hand the fill to
// libtorch's intra-op pool, which the ranking workers would then contend for).
at::Tensor zeroed(std::int64_t m) {
  at::Tensor t = at::empty({m, m}, at::kDouble);
  std::memset(t.data_ptr<double>(), 0, static_cast<std::size_t>(m * m) * sizeof(double));
  return t;
}

}  // namespace

EsmLogmeTarget::EsmLogmeTarget(const EstimationInput& target, const std::string& what) {
  validate(target, what);
  const at::Tensor x = as_tensor(target.features);
  n_ = x.size(0);
  d_ = x.size(1);
  r_rows_ = std::min(n_, d_ + 1);
  at::Tensor augmented = at::empty({n_, d_ + 1}, at::kDouble);
  augmented.narrow(1, 0, d_).copy_(x);
  augmented.select(1, d_).fill_(1.0);
  auto [qr, tau] = at::geqrf(augmented);
  r_ = qr.narrow(0, 0, r_rows_).triu().contiguous();
  const at::Tensor y = logme_target_matrix(target.targets);
  projected_ = at::ormqr(qr, tau, y, /*left=*/true, /*transpose=*/true).narrow(0, 0, r_rows_).contiguous();
  const at::Tensor norms = y.pow(2).sum(0).contiguous();
  target_norm2_.assign(norms.data_ptr<double>(), norms.data_ptr<double>() + norms.numel());
  // Checked here once, not as the same failure of every source.
  for (std::size_t j = 0; j < target_norm2_.size(); ++j)
    if (target_norm2_[j] == 0)
      throw InputError(
          fmt::format("{}: regression target column {} is all zeros, for which the evidence is unbounded; "
                      "drop that column",
                      what, j));
}

double EsmLogmeTarget::score(const Esm& esm, const std::string& what) const {
  validate_esm(esm, what);
  if (esm.dim() != d_)
    throw InputError(
        fmt::format("{}: the ESM maps {}-dimensional embeddings but the target's are {}-dimensional; "
                    "it belongs to another base model",
                    what, esm.dim(), d_));
  const std::int64_t d = d_, r = r_rows_;
  at::Tensor augmented = at::empty({d, d + 1}, at::kDouble);  // W̃, row-major
  if (esm.weight.dtype() == DType::F32 && esm.bias.dtype() == DType::F32)
    fill_augmented<float>(esm, augmented.data_ptr<double>());
  else
    fill_augmented<double>(Esm{esm.weight.to(DType::F64), esm.bias.to(DType::F64), {}}, augmented.data_ptr<double>());

  LogmeGram g;
  g.n = n_;
  g.d = d_;
  g.dual = n_ <= d_;
  g.target_norm2 = target_norm2_;
  if (!g.dual) {
    // The row-major W̃ is the column-major (D+1)×D matrix W̃ᵀ; the row-major upper
    // triangular R is the column-major lower triangular Rᵀ, so op = 'T' applies R.
    // Afterwards the buffer holds M = R·W̃ᵀ column-major (r×D), i.e. row-major Mᵀ.
    const int m = static_cast<int>(d + 1), cols = static_cast<int>(d);
    const double one = 1.0;
    dtrmm_("L", "L", "T", "N", &m, &cols, &one, r_.data_ptr<double>(), &m, augmented.data_ptr<double>(), &m, 1, 1, 1,
           1);
    g.gram = zeroed(d);
    lapack::syrk_lower(true, cols, m, augmented.data_ptr<double>(), m, g.gram.data_ptr<double>(), cols);
    g.projections = projected_.t().mm(augmented.t()).contiguous();  // (Mᵀ QᵀY)ᵀ, C×D
  } else {
    // r = N: M = R·W̃ᵀ (N×D row-major, i.e. column-major D×N), gram = M·Mᵀ.
    const at::Tensor m = r_.mm(augmented.t()).contiguous();
    g.gram = zeroed(r);
    lapack::syrk_lower(true, static_cast<int>(r), static_cast<int>(d), m.data_ptr<double>(), static_cast<int>(d),
                       g.gram.data_ptr<double>(), static_cast<int>(r));
    g.projections = projected_.t().contiguous();  // (QᵀY)ᵀ, C×N
  }
  return logme_from_gram(std::move(g));
}

double EsmLogmeTarget::flops_per_source() const {
  const double d = static_cast<double>(d_), r = static_cast<double>(r_rows_),
               c = static_cast<double>(projected_.size(1));
  const double m = static_cast<double>(std::min(n_, d_));
  if (n_ > d_) return (d + 1) * (d + 1) * d + d * d * r + 2 * r * d * c + logme_from_gram_flops(d_, projected_.size(1));
  return 2 * r * (d + 1) * d + r * r * d + logme_from_gram_flops(static_cast<std::int64_t>(m), projected_.size(1));
}

}  // namespace taskscout
