// H-score and regularized H-score against direct formulas (np.cov, SVD pinv, the
// Ledoit–Wolf paper's shrinkage), their invariances, bounds and degenerate inputs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "estimation_input.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {
namespace {

// Classes with shifted means: n examples, d features, c classes.
std::pair<at::Tensor, std::vector<std::int64_t>> problem(std::int64_t n, std::int64_t d, std::int64_t c,
                                                         std::uint64_t seed) {
  at::manual_seed(seed);
  std::vector<std::int64_t> y(n);
  for (std::int64_t i = 0; i < n; ++i) y[i] = (i * 5 + i / 3) % c;
  const at::Tensor centres = at::randn({c, d}, at::kDouble);
  at::Tensor f = at::randn({n, d}, at::kDouble) + centres.index_select(0, at::tensor(y, at::kLong));
  return {f.to(at::kFloat).to(at::kDouble), y};  // float32 values, as the estimators see them
}

// np.cov (1/(N−1)) of the features and of their class means per row.
std::pair<at::Tensor, at::Tensor> covariances(const at::Tensor& f, const std::vector<std::int64_t>& y) {
  const double n = static_cast<double>(f.size(0));
  const at::Tensor fc = f - f.mean(0, true);
  at::Tensor g = at::empty_like(fc);
  for (std::int64_t c = 0; c <= *std::max_element(y.begin(), y.end()); ++c) {
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i < y.size(); ++i)
      if (y[i] == c) rows.push_back(static_cast<std::int64_t>(i));
    const at::Tensor idx = at::tensor(rows, at::kLong);
    g.index_copy_(0, idx, fc.index_select(0, idx).mean(0, true).expand({idx.size(0), f.size(1)}));
  }
  return {fc.t().matmul(fc) / (n - 1), g.t().matmul(g) / (n - 1)};
}

double direct_h_score(const at::Tensor& f, const std::vector<std::int64_t>& y) {
  auto [cf, cg] = covariances(f, y);
  return at::linalg_pinv(cf, 1e-15).matmul(cg).trace().item<double>();
}

// Ledoit & Wolf (2004), Lemma 3.2–3.4 with sample quantities, on centred f.
double direct_regularized_h_score(const at::Tensor& f, const std::vector<std::int64_t>& y) {
  const double n = static_cast<double>(f.size(0)), d = static_cast<double>(f.size(1));
  const at::Tensor x = f - f.mean(0, true);
  const at::Tensor s = x.t().matmul(x) / n;
  const double mu = s.trace().item<double>() / d;
  const at::Tensor eye = at::eye(f.size(1), at::kDouble);
  const double delta = (s - mu * eye).square().sum().item<double>() / d;
  double beta = 0;
  for (std::int64_t i = 0; i < f.size(0); ++i) beta += (at::outer(x[i], x[i]) - s).square().sum().item<double>() / d;
  beta = std::min(beta / (n * n), delta);
  const double alpha = beta / delta;
  const at::Tensor shrunk = (1 - alpha) * s + alpha * mu * eye;
  auto [cf, cg] = covariances(f, y);
  return ((1 - alpha) * at::linalg_inv(shrunk).matmul(cg)).trace().item<double>();
}

at::Tensor random_rotation(std::int64_t d, std::uint64_t seed) {
  at::manual_seed(seed);
  return std::get<0>(at::linalg_qr(at::randn({d, d}, at::kDouble)));
}

TEST(HScore, MatchesTheCovarianceFormula) {
  auto [f, y] = problem(120, 10, 3, 1);
  const double h = h_score(make_input(f, y));
  EXPECT_NEAR(h, direct_h_score(f, y), 1e-9 * std::abs(h));
  EXPECT_GT(h, 0.5);  // clearly separated centres
}

TEST(RegularizedHScore, MatchesTheLedoitWolfFormula) {
  for (std::int64_t d : {6, 40}) {  // N > D and N < D
    auto [f, y] = problem(30, d, 3, 2);
    const double h = regularized_h_score(make_input(f, y));
    EXPECT_NEAR(h, direct_regularized_h_score(f, y), 1e-9 * std::abs(h)) << "d = " << d;
  }
}

TEST(HScore, InvariantToRotationAndRelabelling) {
  auto [f, y] = problem(150, 12, 4, 3);
  const at::Tensor rotated = f.matmul(random_rotation(12, 4));
  std::vector<std::int64_t> relabelled;
  for (auto c : y) relabelled.push_back((c + 2) % 4 * 10);
  for (auto fn : {h_score, regularized_h_score}) {
    const double h = fn(make_input(f, y), {});
    EXPECT_NEAR(fn(make_input(rotated, y), {}), h, 1e-5 * h);  // float32 rounding of the rotated features
    EXPECT_NEAR(fn(make_input(f, relabelled), {}), h, 1e-12 * h);
  }
}

TEST(HScore, BoundedByClassesMinusOneAndReachedWhenNBelowD) {
  auto [f, y] = problem(200, 8, 5, 5);
  const double h = h_score(make_input(f, y));
  EXPECT_GT(h, 0);
  EXPECT_LT(h, 4);
  // N ≤ D: the centred features span every direction of the examples, so the class
  // indicators are fully explained: H = C − 1 (the null space is dropped, not inverted).
  auto [g, z] = problem(20, 64, 3, 6);
  EXPECT_NEAR(h_score(make_input(g, z)), 2.0, 1e-9);
  const double r = regularized_h_score(make_input(g, z));
  EXPECT_GT(r, 0);
  EXPECT_TRUE(std::isfinite(r));
}

TEST(HScore, ConstantAndDuplicatedColumnsChangeNothing) {
  auto [f, y] = problem(80, 6, 3, 7);
  const double h = h_score(make_input(f, y));
  const at::Tensor padded = at::cat({f, at::full({80, 1}, 3.5, at::kDouble), f.narrow(1, 2, 1)}, 1);
  EXPECT_NEAR(h_score(make_input(padded, y)), h, 1e-9 * h);
  const double r = regularized_h_score(make_input(padded, y));
  EXPECT_TRUE(std::isfinite(r));
  EXPECT_NEAR(r, direct_regularized_h_score(padded, y), 1e-9 * r);
}

TEST(HScore, AllConstantFeaturesScoreZero) {
  const at::Tensor f = at::ones({10, 4}, at::kDouble);
  const std::vector<std::int64_t> y = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  EXPECT_EQ(h_score(make_input(f, y)), 0.0);
  EXPECT_EQ(regularized_h_score(make_input(f, y)), 0.0);
}

TEST(HScore, SingleExampleClassIsDefined) {
  auto [f, y] = problem(40, 5, 2, 8);
  y[7] = 2;  // class 2 has one example
  const double h = h_score(make_input(f, y));
  EXPECT_NEAR(h, direct_h_score(f, y), 1e-9 * h);
  EXPECT_LT(h, 2);
  const double r = regularized_h_score(make_input(f, y));
  EXPECT_NEAR(r, direct_regularized_h_score(f, y), 1e-9 * r);
}

TEST(HScore, OneFeatureHasNoShrinkage) {
  // scikit-learn's shrinkage is 0 for one feature, so Σ_α = S = fᵀf/N while Σ_g keeps
  // 1/(N−1): regularized = H·N/(N−1).
  auto [f, y] = problem(50, 1, 2, 9);
  const double h = h_score(make_input(f, y));
  EXPECT_NEAR(regularized_h_score(make_input(f, y)), h * 50.0 / 49.0, 1e-12);
}

TEST(HScore, ClassificationOnly) {
  EstimationInput in = make_input(at::randn({6, 2}, at::kDouble), {0, 1, 0, 1, 0, 1});
  in.targets = Targets::from_values(to_array(at::randn({6, 2}, at::kDouble)));
  try {
    h_score(in);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("h_score is defined for classification only"), std::string::npos);
  }
  EXPECT_THROW(regularized_h_score(in), UsageError);
}

TEST(HScore, DeclaredClassesWithoutExamplesAreDropped) {
  auto [f, y] = problem(60, 5, 3, 10);
  EstimationInput in = make_input(f, y);
  const double h = h_score(in), r = regularized_h_score(in);
  in.targets.num_classes = 7;  // classes 3..6 declared, never used
  EXPECT_NEAR(h_score(in), h, 1e-12 * h);
  EXPECT_NEAR(regularized_h_score(in), r, 1e-12 * r);
}

}  // namespace
}  // namespace taskscout
