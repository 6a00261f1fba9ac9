// LogME (You et al., "LogME: Practical Assessment of Pre-trained Models for Transfer
// Learning", ICML 2021), computed exactly for every N and D.
//
// For one target column y (a one-vs-rest class indicator, or a regression target) the
// model is y = F w + ε with w ~ N(0, I/α), ε ~ N(0, I/β), so y ~ N(0, FFᵀ/α + I/β).
// Write t = α/β. For fixed t the log evidence is maximized by β = N/Q(t), which leaves a
// one-dimensional profile (c = N/2·(log N − 1 − log 2π)):
//   dual,   K = FFᵀ (N×N):  L(t) = −½ logdet(K + tI) − N/2 log(yᵀ(K + tI)⁻¹y) + c
//   primal, G = FᵀF (D×D):  L(t) = D/2 log t − ½ logdet(G + tI) − N/2 log(‖y‖² − bᵀ(G + tI)⁻¹b) + c,
//                           b = Fᵀy
// The two agree (matrix determinant lemma, Woodbury); we use the smaller Gram matrix.
// Both count all D eigenvalues of FᵀF, including the D − rank zero ones, each of which
// contributes log α to log|A|: the widely copied reference code sums only the nonzero
// ones and so is wrong whenever N < D (or F is rank deficient).
//
// One Householder tridiagonalization Qᵀ·Gram·Q = T (O(m³), m = min(N, D)) makes every
// later evaluation O(m): logdet(T + tI) and cᵀ(T + tI)⁻¹c (c = Qᵀy or Qᵀb) come out of
// one LDLᵀ sweep of the tridiagonal T + tI, which is positive definite for t > 0.
//
// Maximization and stopping rule: L is evaluated on a grid of u = log t with step 0.25
// over t ∈ [s·1e-11, s·1e12], s = trace(Gram) ≥ largest eigenvalue (below s·1e-11 the
// matrix is at the rounding level of the tridiagonal reduction), then the best grid
// bracket is refined by golden-section search until it is narrower than 1e-10 in u;
// since L is smooth at its maximum the value is then exact to rounding. The grid makes
// the search global over the range, unlike the reference fixed-point iteration, which
// stops at a relative change of 1e-3 in t. At an end of the range L is at its supremum:
// for t → ∞ (useless features) it is within s/t ≈ 1e-12 of the limit; in the dual form
// t = 0 is evaluated exactly when K is positive definite (perfect interpolation, N ≤ D);
// in the primal form an exact linear fit of y makes the evidence unbounded, and the
// value at s·1e-11 is reported.
#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/core/lapack.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/estimate/logme_gram.hpp"

namespace taskscout {

namespace {

// The Gram matrix tridiagonalized, with the target projections rotated by Qᵀ.
struct TridiagonalProblem {
  bool dual = false;
  std::int64_t n = 0, d = 0, m = 0;  // m = size of the Gram matrix
  std::vector<double> diag, offdiag;
  at::Tensor rotated;                // C×m rows
  std::vector<double> target_norm2;  // ‖y‖² per column
  double trace = 0;
};

// The Gram matrix is accumulated over blocks of rows converted to float64 into one reused
// buffer (a fresh N×D float64 copy costs 2× the memory and its page faults). Measured
// here at N = 50,000, D = 768: 32 MiB blocks ran fastest (0.54 s; 16 MiB: 0.67 s, 256 MiB:
// 0.68 s).
constexpr std::int64_t kBlockBytes = std::int64_t{32} << 20;

TridiagonalProblem tridiagonalize(LogmeGram&& g) {
  TridiagonalProblem p;
  p.dual = g.dual;
  p.n = g.n;
  p.d = g.d;
  p.m = p.dual ? p.n : p.d;
  const int m = static_cast<int>(p.m);
  const std::int64_t c = g.projections.size(0);
  if (g.gram.scalar_type() != at::kDouble || !g.gram.is_contiguous() || g.gram.size(0) != p.m ||
      g.gram.size(1) != p.m || g.projections.scalar_type() != at::kDouble || !g.projections.is_contiguous() ||
      g.projections.size(1) != p.m || static_cast<std::int64_t>(g.target_norm2.size()) != c)
    throw Error("internal: logme_from_gram: statistics of inconsistent shape or dtype");
  p.trace = g.gram.diagonal().sum().item<double>();
  p.target_norm2 = std::move(g.target_norm2);
  for (std::size_t j = 0; j < p.target_norm2.size(); ++j)
    // y = 0 is fitted exactly by β → ∞: the evidence is unbounded.
    if (p.target_norm2[j] == 0)
      throw InputError("logme: regression target column " + std::to_string(j) +
                       " is all zeros, for which the evidence is unbounded; drop that column");
  p.diag.resize(static_cast<std::size_t>(p.m));
  p.offdiag.resize(static_cast<std::size_t>(std::max<std::int64_t>(p.m - 1, 1)));
  lapack::tridiagonalize(m, g.gram.data_ptr<double>(), m, p.diag.data(), p.offdiag.data(), static_cast<int>(c),
                         g.projections.data_ptr<double>());
  p.rotated = std::move(g.projections);
  return p;
}

// The profiled log evidence L(t) of column j (without the constant c); −∞ when T + tI is
// not numerically positive definite.
//
// logdet = Σ log pivot_i is taken as the log of running products of 8 pivots with their
// binary exponents split off (frexp): one log per 8 pivots instead of one each (the logs
// were about a tenth of ESM-LogME's time per source). A product leaving 2^±1000 (pivots
// far from 1, e.g. features scaled by 1e-20) would lose digits, so it is redone with one
// log per pivot.
double profile(const TridiagonalProblem& p, const double* rotated, double norm2, double t, bool log_per_pivot = false) {
  constexpr double kInvalid = -std::numeric_limits<double>::infinity();
  constexpr double kLow = 0x1p-1000, kHigh = 0x1p+1000;
  double logdet = 0, quad = 0, pivot = 0, w = 0, product = 1;
  long exponent = 0;
  for (std::int64_t i = 0; i < p.m; ++i) {
    const double coupling = i == 0 ? 0.0 : p.offdiag[i - 1];
    // LDLᵀ of the tridiagonal T + tI: pivot_i = T_ii + t − e²/pivot_{i−1}; forward
    // substitution w_i = c_i − (e/pivot_{i−1})·w_{i−1}; cᵀ(T+tI)⁻¹c = Σ w_i²/pivot_i.
    const double next_pivot = p.diag[i] + t - (i == 0 ? 0.0 : coupling * coupling / pivot);
    w = rotated[i] - (i == 0 ? 0.0 : coupling / pivot * w);
    pivot = next_pivot;
    if (!(pivot > 0)) return kInvalid;
    quad += w * w / pivot;
    if (log_per_pivot) {
      logdet += std::log(pivot);
      continue;
    }
    product *= pivot;
    if ((i & 7) == 7 || i + 1 == p.m) {
      if (!(product > kLow && product < kHigh)) return profile(p, rotated, norm2, t, true);
      int e = 0;
      product = std::frexp(product, &e);
      exponent += e;
    }
  }
  if (!log_per_pivot) logdet = std::log(product) + static_cast<double>(exponent) * std::numbers::ln2;
  const double n = static_cast<double>(p.n);
  if (p.dual) return quad > 0 ? -0.5 * logdet - 0.5 * n * std::log(quad) : kInvalid;
  const double residual = norm2 - quad;
  if (!(residual > 0)) return kInvalid;
  return 0.5 * static_cast<double>(p.d) * std::log(t) - 0.5 * logdet - 0.5 * n * std::log(residual);
}

// max over t of L(t) for one column, per the stopping rule in the file comment.
double max_profile(const TridiagonalProblem& p, const double* rotated, double norm2) {
  // All-zero features: the evidence no longer depends on α; this is the t → ∞ value.
  if (p.trace <= 0) return -0.5 * static_cast<double>(p.n) * std::log(norm2);
  auto f = [&](double u) { return profile(p, rotated, norm2, std::exp(u)); };
  const double lo = std::log(p.trace) + std::log(1e-11), hi = std::log(p.trace) + std::log(1e12);
  constexpr double kStep = 0.25;
  const int steps = static_cast<int>(std::ceil((hi - lo) / kStep));
  int best_i = 0;
  double best = -std::numeric_limits<double>::infinity();
  for (int i = 0; i <= steps; ++i) {
    const double v = f(lo + i * kStep);
    if (v > best) best = v, best_i = i;
  }
  // Golden-section refinement inside [best − step, best + step].
  double a = lo + (best_i - 1) * kStep, b = lo + (best_i + 1) * kStep;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = f(x1), f2 = f(x2);
  while (b - a > 1e-10) {
    if (f1 < f2) {
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = f(x2);
    } else {
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = f(x1);
    }
  }
  best = std::max({best, f1, f2});
  if (p.dual) best = std::max(best, profile(p, rotated, norm2, 0.0));  // t → 0 limit, exact
  return best;
}

}  // namespace

LogmeGram logme_gram(const at::Tensor& features, const at::Tensor& targets) {
  LogmeGram g;
  g.n = features.size(0);
  g.d = features.size(1);
  g.dual = g.n <= g.d;
  const std::int64_t m = g.dual ? g.n : g.d, c = targets.size(1);

  // gram: column-major m×m, lower triangle filled. projections: C×m rows.
  g.gram = at::zeros({m, m}, at::kDouble);
  if (g.dual) {
    // K = F Fᵀ: F row-major N×D is column-major D×N, so K = AᵀA with A = that matrix.
    at::Tensor f64 = features.to(at::kDouble).contiguous();
    lapack::syrk_lower(true, static_cast<int>(m), static_cast<int>(g.d), f64.data_ptr<double>(), static_cast<int>(g.d),
                       g.gram.data_ptr<double>(), static_cast<int>(m));
    g.projections = targets.t().contiguous();  // C×N rows = column-major N×C
  } else {
    // G = FᵀF accumulated over row blocks: G += A_b A_bᵀ with A_b the D×rows column-major
    // view of the block; b = Fᵀy accumulated alongside. Memory: O(D² + block).
    at::Tensor b = at::zeros({c, g.d}, at::kDouble);
    const std::int64_t block_rows = std::clamp<std::int64_t>(kBlockBytes / (8 * g.d), 1, g.n);
    at::Tensor buffer = at::empty({block_rows, g.d}, at::kDouble);  // reused: no page faults per block
    for (std::int64_t r = 0; r < g.n; r += block_rows) {
      const std::int64_t rows = std::min(block_rows, g.n - r);
      at::Tensor block = buffer.narrow(0, 0, rows);
      block.copy_(features.narrow(0, r, rows));
      lapack::syrk_lower(false, static_cast<int>(m), static_cast<int>(rows), block.data_ptr<double>(),
                         static_cast<int>(g.d), g.gram.data_ptr<double>(), static_cast<int>(m));
      b.addmm_(targets.narrow(0, r, rows).t(), block);
    }
    g.projections = b;
  }
  at::Tensor norms = targets.pow(2).sum(0).contiguous();
  g.target_norm2.assign(norms.data_ptr<double>(), norms.data_ptr<double>() + c);
  return g;
}

at::Tensor logme_target_matrix(const Targets& targets) {
  if (targets.kind == TaskKind::Regression) return as_tensor(targets.values).to(at::kDouble);
  at::Tensor ids = at::from_blob(const_cast<std::int64_t*>(targets.classes.data()),
                                 {static_cast<std::int64_t>(targets.classes.size())}, at::kLong);
  return at::one_hot(ids, targets.num_classes).to(at::kDouble);
}

double logme_from_gram(LogmeGram&& g) {
  const TridiagonalProblem p = tridiagonalize(std::move(g));
  const double n = static_cast<double>(p.n);
  const double constant = 0.5 * n * (std::log(n) - 1 - std::log(2 * std::numbers::pi));
  double sum = 0;
  for (std::int64_t j = 0; j < p.rotated.size(0); ++j)
    sum += (max_profile(p, p.rotated[j].data_ptr<double>(), p.target_norm2[j]) + constant) / n;
  return sum / static_cast<double>(p.rotated.size(0));
}

double logme_from_gram_flops(std::int64_t m, std::int64_t c) {
  const double md = static_cast<double>(m);
  return 4.0 / 3.0 * md * md * md + 2.0 * md * md * static_cast<double>(c);
}

double logme(const EstimationInput& in, const EstimatorOptions&) {
  return logme_from_gram(logme_gram(as_tensor(in.features), logme_target_matrix(in.targets)));
}

}  // namespace taskscout
