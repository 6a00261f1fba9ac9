// GBC, Gaussian Bhattacharyya Coefficient (Pándy et al., CVPR 2022): each class c is a
// diagonal Gaussian N(μ_c, diag σ²_c) with σ²_c the population variance (1/n_c) of its
// features, floored at opt.gbc_variance_floor (1e-4). With σ̄ = (σ²_i + σ²_j)/2,
//   D_B(i, j) = ⅛ Σ_d (μ_i − μ_j)²/σ̄ + ½ Σ_d (log σ̄ − ½ log σ²_i − ½ log σ²_j),
//   GBC = −Σ_{i≠j} exp(−D_B(i, j))   (both orders, as google-research stable_transfer).
// No PCA first: the features are used as given, as the reference values.
// Range: −C(C−1) (all classes identical) ≤ GBC < 0 (→ 0 as the classes separate).
// A class with one example has zero variance and gets the floor, so it is defined.
#include "linalg.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

double gbc(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "gbc");
  const EstimationInput in = detail::classification_input(input, "gbc");
  if (!(opt.gbc_variance_floor > 0))
    throw UsageError(fmt::format("gbc: the variance floor must be positive, got {}", opt.gbc_variance_floor));
  const detail::ClassGroups g = detail::group_by_class(in);
  std::vector<at::Tensor> means, vars;
  for (std::int64_t c = 0; c < g.num_classes(); ++c) {
    const at::Tensor x = g.rows(c);
    const at::Tensor m = x.mean(0);
    means.push_back(m);
    vars.push_back((x - m).square().mean(0).clamp_min(opt.gbc_variance_floor));
  }
  const at::Tensor mu = at::stack(means), var = at::stack(vars);  // C×D
  const at::Tensor half_log_var = 0.5 * var.log();
  // Row i against all classes at once: C iterations of C×D work.
  double total = 0;
  for (std::int64_t i = 0; i < g.num_classes(); ++i) {
    const at::Tensor avg = (var[i] + var) / 2;  // C×D
    const at::Tensor db =
        (mu[i] - mu).square().div(avg).sum(1) / 8 + 0.5 * (avg.log() - half_log_var[i] - half_log_var).sum(1);
    at::Tensor bc = (-db).exp();
    bc[i] = 0;  // i ≠ j
    total += bc.sum().item<double>();
  }
  return -total;
}

}  // namespace taskscout
