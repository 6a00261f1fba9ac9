// H-score (Bao et al., ICIP 2019) and regularized H-score (Ibrahim et al., ICLR 2022).
//
// f = centred features (N×D), m_c = mean of f over class c (n_c examples),
// Σ_f = fᵀf/(N−1), Σ_g = Σ_c n_c m_c m_cᵀ/(N−1) (the covariance of E[f|y], as np.cov).
//
// H-score = tr(pinv(Σ_f) Σ_g) = Σ_k (Σ_c n_c (v_kᵀm_c)²) / ((N−1) λ_k) over the
// eigenpairs (λ_k, v_k) of Σ_f kept by detail::eigh_truncated (rcond 1e-15 as numpy's
// pinv in the reference, plus a D·eps noise floor). Both covariances share the same
// normalization, so 1/N or 1/(N−1) cancels: checked against the reference both ways.
// It is the sum of the squared canonical correlations between f and the class
// indicators, so 0 ≤ H ≤ C−1; with N ≤ D (generic features) it reaches C−1. A class with
// a single example is fine (its mean is that example).
//
// Regularized: Σ_α = (1−α) S + α μ I with S = fᵀf/N (scikit-learn's empirical
// covariance, 1/N), μ = tr(S)/D and the Ledoit–Wolf shrinkage α exactly as
// sklearn.covariance.ledoit_wolf_shrinkage:
//   β̃ = (Σ_i ‖f_i‖⁴/N − ‖S‖²_F)/(D N),  δ = ‖S − μI‖²_F / D,  α = min(β̃, δ)/δ.
// Score = (1−α) tr(pinv(Σ_α) Σ_g) with Σ_g still 1/(N−1) (the reference's np.cov; this
// mix is what matches it). Σ_α shares S's eigenvectors, so one eigh serves both.
// Degenerate: α is clamped to [0, 1] and is 0 for D = 1 (as scikit-learn) or δ = 0
// (S already a multiple of I, e.g. all features constant, where the score is then 0).
#include "linalg.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

namespace {

struct Stats {
  at::Tensor gram;       // fᵀf, D×D
  at::Tensor weighted;   // √n_c · m_c, C×D: Σ_g·(N−1) = weightedᵀ weighted
  at::Tensor row_norm4;  // Σ_i ‖f_i‖⁴
  double n = 0;
};

Stats statistics(const EstimationInput& in) {
  const at::Tensor f = detail::centre_(detail::features_f64(in));
  const std::vector<std::int64_t> counts = detail::class_counts(in.targets);
  const at::Tensor n_c = at::tensor(counts, at::TensorOptions().dtype(at::kLong)).to(at::kDouble);
  const at::Tensor sums = at::zeros({in.targets.num_classes, f.size(1)}, f.options())
                              .index_add_(0, detail::class_tensor(in.targets), f);  // Σ_{i∈c} f_i
  Stats s;
  s.n = static_cast<double>(f.size(0));
  s.gram = at::matmul(f.t(), f);
  s.weighted = sums / n_c.sqrt().unsqueeze(1);  // √n_c·m_c = Σ f / √n_c
  s.row_norm4 = f.square().sum(1).square().sum();
  return s;
}

// Σ_k q_k / λ_k with q_k = Σ_c (v_kᵀ w_c)²: tr(pinv(A) WᵀW) for A = V diag(λ) Vᵀ.
double trace_pinv_times(const at::Tensor& values, const at::Tensor& vectors, const at::Tensor& weighted) {
  if (values.numel() == 0) return 0.0;
  const at::Tensor proj = at::matmul(weighted, vectors);  // C×k
  return (proj.square().sum(0) / values).sum().item<double>();
}

}  // namespace

double h_score(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "h_score");
  const EstimationInput in = detail::classification_input(input, "h_score");
  const Stats s = statistics(in);
  const detail::Eigen e = detail::eigh_truncated(s.gram);  // Σ_f·(N−1): the scale cancels
  return trace_pinv_times(e.values, e.vectors, s.weighted);
}

double regularized_h_score(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "regularized_h_score");
  const EstimationInput in = detail::classification_input(input, "regularized_h_score");
  const Stats s = statistics(in);
  const double n = s.n, d = static_cast<double>(s.gram.size(0));
  const at::Tensor cov = s.gram / n;  // S
  const double mu = cov.trace().item<double>() / d;
  const double delta_ = cov.square().sum().item<double>();  // ‖S‖²_F
  double beta = (s.row_norm4.item<double>() / n - delta_) / (d * n);
  const double delta = (delta_ - 2.0 * mu * mu * d + d * mu * mu) / d;
  beta = std::min(beta, delta);
  const double alpha = (d == 1 || !(delta > 0)) ? 0.0 : std::clamp(beta / delta, 0.0, 1.0);

  auto [values, vectors] = at::linalg_eigh(cov);
  const at::Tensor shrunk = (1 - alpha) * values.clamp_min(0) + alpha * mu;  // eigenvalues of Σ_α
  // pinv(Σ_α) as numpy's (rcond 1e-15) with the same noise floor as eigh_truncated; Σ_α
  // is positive definite whenever α > 0 and μ > 0.
  const double top = shrunk.max().item<double>();
  if (!(top > 0)) return 0.0;
  const double cut = std::max(1e-15, d * std::numeric_limits<double>::epsilon()) * top;
  const at::Tensor keep = shrunk.gt(cut).nonzero().squeeze(1);
  return (1 - alpha) / (n - 1) *
         trace_pinv_times(shrunk.index_select(0, keep), vectors.index_select(1, keep), s.weighted);
}

}  // namespace taskscout
