// TransRate (Huang et al., ICML 2022): the coding rate of the features minus the mean
// coding rate of each class's features,
//   TransRate = R(f) − (1/C) Σ_c R(f_c),  R(Z) = ½ logdet(I_D + ZᵀZ/(n ε)),
// Z with n rows, ε = opt.transrate_epsilon (1e-4), f centred once by its column means
// (the class subsets f_c are not re-centred), as the reference values.
//
// I + ZᵀZ/(nε) is symmetric with eigenvalues ≥ 1, so its log-determinant is 2 Σ log
// diag of a Cholesky factor — always defined, whatever the rank of Z (constant or
// duplicated columns, N < D, a class with one example). When n < D the n×n form
// logdet(I_n + ZZᵀ/(nε)) (Sylvester's identity) is used: the same value, less work.
#include "linalg.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

namespace {

double coding_rate(const at::Tensor& z, double eps) {
  const std::int64_t n = z.size(0), d = z.size(1);
  const at::Tensor gram = n < d ? at::matmul(z, z.t()) : at::matmul(z.t(), z);
  const at::Tensor a = gram / (static_cast<double>(n) * eps) + at::eye(gram.size(0), gram.options());
  return at::linalg_cholesky(a).diagonal().log().sum().item<double>();  // ½·logdet
}

}  // namespace

double transrate(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "transrate");
  const EstimationInput in = detail::classification_input(input, "transrate");
  if (!(opt.transrate_epsilon > 0))
    throw UsageError(fmt::format("transrate: epsilon must be positive, got {}", opt.transrate_epsilon));
  detail::ClassGroups g = detail::group_by_class(in);
  detail::centre_(g.x);  // once, by the column means of all rows
  double classes = 0;
  for (std::int64_t c = 0; c < g.num_classes(); ++c) classes += coding_rate(g.rows(c), opt.transrate_epsilon);
  return coding_rate(g.x, opt.transrate_epsilon) - classes / static_cast<double>(g.num_classes());
}

}  // namespace taskscout
