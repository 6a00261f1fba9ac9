// Leave-one-out kNN against brute-force loops (several distance blocks), the tie rules,
// regression, duplicates and the refusals.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "estimation_input.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {
namespace {

EstimatorOptions with_k(int k) {
  EstimatorOptions opt;
  opt.knn_k = k;
  return opt;
}

// Neighbours of every example by exact per-pair distances, ordered (distance, index).
std::vector<std::vector<std::int64_t>> brute_neighbours(const EstimationInput& in, int k) {
  const std::int64_t n = in.features.rows(), d = in.features.cols();
  auto v = in.features.values<float>();
  std::vector<std::vector<std::int64_t>> out(n);
  std::vector<std::pair<double, std::int64_t>> dist;
  for (std::int64_t i = 0; i < n; ++i) {
    dist.clear();
    for (std::int64_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double s = 0;
      for (std::int64_t k2 = 0; k2 < d; ++k2) s += std::pow(double(v[i * d + k2]) - double(v[j * d + k2]), 2);
      dist.emplace_back(s, j);
    }
    std::partial_sort(dist.begin(), dist.begin() + k, dist.end());
    for (int j = 0; j < k; ++j) out[i].push_back(dist[j].second);
  }
  return out;
}

double brute_accuracy(const EstimationInput& in, int k) {
  const auto& y = in.targets.classes;
  const auto nb = brute_neighbours(in, k);
  double correct = 0;
  for (std::size_t i = 0; i < nb.size(); ++i) {
    std::vector<int> votes(in.targets.num_classes, 0);
    for (auto j : nb[i]) ++votes[y[j]];
    const int top = *std::max_element(votes.begin(), votes.end());
    std::int64_t pred = -1;
    for (auto j : nb[i])  // tied classes: the one with the nearest neighbour
      if (votes[y[j]] == top) {
        pred = y[j];
        break;
      }
    correct += pred == y[i];
  }
  return correct / static_cast<double>(nb.size());
}

std::pair<at::Tensor, std::vector<std::int64_t>> problem(std::int64_t n, std::int64_t d, std::int64_t c,
                                                         std::uint64_t seed, double spread = 1.5) {
  at::manual_seed(seed);
  std::vector<std::int64_t> y(n);
  for (std::int64_t i = 0; i < n; ++i) y[i] = (i * 7 + i / 5) % c;
  const at::Tensor centres = spread * at::randn({c, d}, at::kDouble);
  return {at::randn({n, d}, at::kDouble) + centres.index_select(0, at::tensor(y, at::kLong)), y};
}

TEST(Knn, LineByHand) {
  const at::Tensor f = at::tensor({0.0, 1.0, 10.0, 11.0}, at::kDouble).view({4, 1});
  EXPECT_EQ(knn(make_input(f, {0, 0, 1, 1})), 1.0);
  EXPECT_EQ(knn(make_input(f, {0, 1, 0, 1})), 0.0);
  // k = 3 from {0, 1, 10, 11} with labels (0, 0, 1, 1): each point's 3 neighbours are the
  // other three, 2 of the other class and 1 of its own: all wrong.
  EXPECT_EQ(knn(make_input(f, {0, 0, 1, 1}), with_k(3)), 0.0);
}

TEST(Knn, MatchesBruteForceAcrossBlocks) {
  // N = 3000: the distance blocks are 2796 rows, so there are two, the second partial.
  auto [f, y] = problem(3000, 4, 5, 1);
  const EstimationInput in = make_input(f, y);
  for (int k : {1, 4, 7}) {
    const double acc = knn(in, with_k(k));
    EXPECT_DOUBLE_EQ(acc, brute_accuracy(in, k)) << "k = " << k;
    EXPECT_GT(acc, 0.3);
    EXPECT_LT(acc, 1.0);
  }
}

TEST(Knn, TwoNeighboursTieLikeOne) {
  // With k = 2 a split vote goes to the nearer neighbour: the same prediction as k = 1.
  // Overlapping classes, so many votes split.
  auto [f, y] = problem(300, 6, 3, 2, 0.4);
  const EstimationInput in = make_input(f, y);
  const double acc = knn(in, with_k(1));
  EXPECT_EQ(knn(in, with_k(2)), acc);
  EXPECT_LT(acc, 0.8);
}

TEST(Knn, EqualDistancesGoToTheLowerIndex) {
  // x = (−1, 0, 1, 10, −10), mean 0 so every distance is computed exactly. Example 1 is
  // at distance 1 from examples 0 and 2; the lower index, 0, is its neighbour.
  const at::Tensor f = at::tensor({-1.0, 0.0, 1.0, 10.0, -10.0}, at::kDouble).view({5, 1});
  // Neighbours: 0→1, 1→0, 2→1, 3→2, 4→0.
  EXPECT_EQ(knn(make_input(f, {0, 0, 1, 1, 1})), 0.6);  // 2 and 4 wrong (1→2 would make 1 wrong too)
  EXPECT_EQ(knn(make_input(f, {0, 1, 1, 1, 1})), 0.4);  // 0, 1 and 4 wrong (1→2 would make 1 right)
}

TEST(Knn, DuplicatesAreOtherExamples) {
  auto [f, y] = problem(40, 3, 4, 3);
  const EstimationInput twice = make_input(at::cat({f, f}), [&] {
    std::vector<std::int64_t> v = y;
    v.insert(v.end(), y.begin(), y.end());
    return v;
  }());
  EXPECT_EQ(knn(twice), 1.0);  // every example's nearest other example is its copy
}

TEST(Knn, ConstantDuplicatedColumnsAndWideFeatures) {
  auto [f, y] = problem(50, 200, 2, 4);  // N < D
  const at::Tensor padded = at::cat({f, at::full({50, 3}, 9.0, at::kDouble), f.narrow(1, 0, 5)}, 1);
  const EstimationInput in = make_input(padded, y);
  EXPECT_DOUBLE_EQ(knn(in, with_k(3)), brute_accuracy(in, 3));
}

TEST(Knn, RegressionIsMinusMseOfTheNeighbourMean) {
  auto [f, y] = problem(500, 5, 2, 5);
  const at::Tensor t = at::stack({f.sum(1), f.select(1, 0) * 2 - 1}, 1) + 0.1 * at::randn({500, 2}, at::kDouble);
  EstimationInput in = make_input(f, y);
  in.targets = Targets::from_values(to_array(t));
  const int k = 5;
  const auto nb = brute_neighbours(in, k);
  const auto tv = in.targets.values.values<double>();
  double se = 0;
  for (std::size_t i = 0; i < nb.size(); ++i)
    for (int c = 0; c < 2; ++c) {
      double mean = 0;
      for (auto j : nb[i]) mean += tv[j * 2 + c] / k;
      se += std::pow(mean - tv[i * 2 + c], 2);
    }
  const double score = knn(in, with_k(k));
  EXPECT_NEAR(score, -se / 1000, 1e-12);
  EXPECT_LT(score, 0);
}

TEST(Knn, RefusesImpossibleK) {
  auto [f, y] = problem(6, 2, 2, 6);
  EXPECT_THROW(knn(make_input(f, y), with_k(0)), UsageError);
  EXPECT_THROW(knn(make_input(f, y), with_k(6)), InputError);
  EXPECT_NO_THROW(knn(make_input(f, y), with_k(5)));
}

}  // namespace
}  // namespace taskscout
