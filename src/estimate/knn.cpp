// Leave-one-out k-nearest-neighbour score (Euclidean), k = opt.knn_k.
//
// Each example is predicted from its k nearest other examples (itself excluded; exact
// duplicates of it are other examples and count). Neighbours are ordered by distance,
// equal computed distances by lower index (distances equal in exact arithmetic can
// differ in the last float64 bit, and are then ordered by that).
//   classification: accuracy of the majority vote; a tie between classes goes to the
//     tied class with the nearest neighbour (so k = 2 behaves like k = 1);
//   regression: −MSE, the mean over examples and target columns of the squared error of
//     the mean of the k neighbours' targets.
// Distances come from ‖a‖² + ‖b‖² − 2a·b on centred float64 features (centring keeps the
// cancellation small), one block of query rows against all N at a time: a GEMM per block,
// memory O(block·N) with block·N ≤ 2²³, never N×N. Neighbours are picked by k argmin
// passes over the block (argmin returns the first minimum: the lower-index tie rule).
// Needs 1 ≤ k ≤ N − 1. A class with a single example is no special case: that example's
// neighbours are all of other classes, so (for k = 1) it counts as an error.
#include "linalg.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {

namespace {

// N×k neighbour indices, nearest first.
at::Tensor nearest_neighbours(const EstimationInput& in, std::int64_t k) {
  const at::Tensor x = detail::centre_(detail::features_f64(in));
  const std::int64_t n = x.size(0);
  const at::Tensor sq = x.square().sum(1);
  const at::Tensor xt = x.t();
  const std::int64_t block = std::clamp<std::int64_t>((std::int64_t{1} << 23) / n, 1, n);
  at::Tensor out = at::empty({n, k}, at::kLong);
  for (std::int64_t start = 0; start < n; start += block) {
    const std::int64_t b = std::min(block, n - start);
    at::Tensor d = sq.narrow(0, start, b).unsqueeze(1) + sq.unsqueeze(0);  // b×N
    d.addmm_(x.narrow(0, start, b), xt, /*beta=*/1, /*alpha=*/-2);
    d.narrow(1, start, b).diagonal().fill_(std::numeric_limits<double>::infinity());  // leave one out
    for (std::int64_t j = 0; j < k; ++j) {
      const at::Tensor idx = d.argmin(1);
      out.narrow(0, start, b).select(1, j).copy_(idx);
      d.scatter_(1, idx.unsqueeze(1), std::numeric_limits<double>::infinity());
    }
  }
  return out;
}

}  // namespace

double knn(const EstimationInput& input, const EstimatorOptions& opt) {
  validate(input, "knn");
  const EstimationInput in =
      input.targets.kind == TaskKind::Classification ? detail::classification_input(input, "knn") : input;
  const std::int64_t n = in.features.rows(), k = opt.knn_k;
  if (k < 1) throw UsageError(fmt::format("knn: k must be at least 1, got {}", k));
  if (k > n - 1)
    throw InputError(fmt::format("knn: k = {} needs at least {} examples (leave-one-out), got {}", k, k + 1, n));
  const at::Tensor nb = nearest_neighbours(in, k);

  if (in.targets.kind == TaskKind::Regression) {
    const at::Tensor y = as_tensor(in.targets.values).to(at::kDouble);  // N×T
    const at::Tensor pred = y.index_select(0, nb.flatten()).view({n, k, y.size(1)}).mean(1);
    return -(pred - y).square().mean().item<double>();
  }

  const auto& cls = in.targets.classes;
  const auto nbs = nb.accessor<std::int64_t, 2>();
  std::vector<std::int64_t> votes(static_cast<std::size_t>(in.targets.num_classes), 0);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t best = -1, best_votes = 0;
    for (std::int64_t j = 0; j < k; ++j) best_votes = std::max(best_votes, ++votes[cls[nbs[i][j]]]);
    for (std::int64_t j = 0; j < k && best < 0; ++j)  // nearest-first: the tie rule
      if (votes[cls[nbs[i][j]]] == best_votes) best = cls[nbs[i][j]];
    for (std::int64_t j = 0; j < k; ++j) votes[cls[nbs[i][j]]] = 0;
    correct += best == cls[i];
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace taskscout
