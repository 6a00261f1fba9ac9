// GBC by hand in one dimension, its limits (identical and well separated classes), the
// variance floor, invariances and degenerate inputs.
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

at::Tensor column(std::initializer_list<double> v) {
  return at::tensor(std::vector<double>(v), at::kDouble).view({-1, 1});
}

TEST(Gbc, OneDimensionByHand) {
  // Class 0 = {0, 2}: μ = 1, σ² = 1. Class 1 = {3, 5}: μ = 4, σ² = 1. D_B = 9/8.
  EXPECT_NEAR(gbc(make_input(column({0, 2, 3, 5}), {0, 0, 1, 1})), -2 * std::exp(-9.0 / 8), 1e-15);
  // Class 1 = {3, 7}: μ = 5, σ² = 4, σ̄ = 2.5:
  // D_B = 16/(8·2.5) + ½(log 2.5 − ½ log 1 − ½ log 4).
  const double db = 16 / (8 * 2.5) + 0.5 * (std::log(2.5) - 0.5 * std::log(4.0));
  EXPECT_NEAR(gbc(make_input(column({0, 2, 3, 7}), {0, 0, 1, 1})), -2 * std::exp(-db), 1e-15);
}

TEST(Gbc, IdenticalClassesScoreMinusCTimesCMinusOne) {
  at::manual_seed(1);
  const at::Tensor block = at::randn({20, 5}, at::kDouble);
  std::vector<std::int64_t> y;
  for (int c = 0; c < 3; ++c) y.insert(y.end(), 20, c);
  EXPECT_NEAR(gbc(make_input(at::cat({block, block, block}), y)), -6.0, 1e-12);
}

TEST(Gbc, WellSeparatedClassesApproachZero) {
  at::manual_seed(2);
  std::vector<std::int64_t> y(60);
  for (int i = 0; i < 60; ++i) y[i] = i % 3;
  const at::Tensor noise = at::randn({60, 4}, at::kDouble);
  const at::Tensor shift = at::tensor(y, at::kDouble).unsqueeze(1);
  const double near = gbc(make_input(noise + 0.5 * shift, y));
  const double far = gbc(make_input(noise + 5 * shift, y));  // D_B ≈ ⅛·25·4 between neighbours
  EXPECT_LT(near, -0.5);
  EXPECT_LT(far, 0);
  EXPECT_GT(far, -1e-3);
  EXPECT_GT(far, near);
}

TEST(Gbc, VarianceFloorAppliesToSingleExamples) {
  // One example per class: both variances are 0, floored. Floor 1: D_B = ⅛·1²/1 = ⅛.
  EstimatorOptions opt;
  opt.gbc_variance_floor = 1.0;
  EXPECT_NEAR(gbc(make_input(column({0, 1}), {0, 1}), opt), -2 * std::exp(-1.0 / 8), 1e-15);
  // Floor 1e-4 (default): D_B = ⅛·10⁴ = 1250, exp(−1250) underflows to 0.
  EXPECT_EQ(gbc(make_input(column({0, 1}), {0, 1})), 0.0);
  opt.gbc_variance_floor = 0;
  EXPECT_THROW(gbc(make_input(column({0, 1}), {0, 1}), opt), UsageError);
}

// The definition written out per class pair and feature, in scalar code.
double direct_gbc(const at::Tensor& f32, const std::vector<std::int64_t>& y, double floor) {
  const at::Tensor f = f32.to(at::kFloat).to(at::kDouble);
  const std::int64_t c = *std::max_element(y.begin(), y.end()) + 1, d = f.size(1);
  std::vector<std::vector<double>> mu(c, std::vector<double>(d, 0)), var = mu;
  std::vector<double> n(c, 0);
  for (std::size_t i = 0; i < y.size(); ++i) {
    n[y[i]] += 1;
    for (std::int64_t k = 0; k < d; ++k) mu[y[i]][k] += f[i][k].item<double>();
  }
  for (std::int64_t a = 0; a < c; ++a)
    for (std::int64_t k = 0; k < d; ++k) mu[a][k] /= n[a];
  for (std::size_t i = 0; i < y.size(); ++i)
    for (std::int64_t k = 0; k < d; ++k) var[y[i]][k] += std::pow(f[i][k].item<double>() - mu[y[i]][k], 2) / n[y[i]];
  double total = 0;
  for (std::int64_t a = 0; a < c; ++a)
    for (std::int64_t b = 0; b < c; ++b) {
      if (a == b) continue;
      double db = 0;
      for (std::int64_t k = 0; k < d; ++k) {
        const double va = std::max(var[a][k], floor), vb = std::max(var[b][k], floor), avg = (va + vb) / 2;
        db += std::pow(mu[a][k] - mu[b][k], 2) / avg / 8 +
              0.5 * (std::log(avg) - 0.5 * std::log(va) - 0.5 * std::log(vb));
      }
      total += std::exp(-db);
    }
  return -total;
}

TEST(Gbc, MatchesScalarDefinitionWithDegenerateInputs) {
  at::manual_seed(3);
  std::vector<std::int64_t> y(30);
  for (int i = 0; i < 30; ++i) y[i] = i % 3;
  y[4] = 3;  // a single-example class
  at::Tensor f = 0.3 * at::randn({30, 6}, at::kDouble) + 0.2 * at::tensor(y, at::kDouble).unsqueeze(1);
  f.select(1, 2).fill_(1.25);            // a constant column
  f.select(1, 5).copy_(f.select(1, 0));  // a duplicated column
  const double g = gbc(make_input(f, y));
  EXPECT_LT(g, -1e-3);
  EXPECT_NEAR(g, direct_gbc(f, y, 1e-4), 1e-12 * std::abs(g));
  // A constant column has equal means and floored variances in every class: no effect.
  const at::Tensor without = at::cat({f.narrow(1, 0, 2), f.narrow(1, 3, 3)}, 1);
  EXPECT_NEAR(gbc(make_input(without, y)), g, 1e-12 * std::abs(g));
}

TEST(Gbc, InvariantToRelabelling) {
  at::manual_seed(4);
  std::vector<std::int64_t> y(50), relabelled(50);
  for (int i = 0; i < 50; ++i) y[i] = (i * 3) % 5, relabelled[i] = 100 - 7 * y[i];
  const at::Tensor f = at::randn({50, 3}, at::kDouble) + 0.5 * at::tensor(y, at::kDouble).unsqueeze(1);
  const double g = gbc(make_input(f, y));
  EXPECT_NEAR(gbc(make_input(f, relabelled)), g, 1e-12 * std::abs(g));
}

TEST(Gbc, ClassificationOnly) {
  EstimationInput in = make_input(at::randn({6, 2}, at::kDouble), {0, 1, 0, 1, 0, 1});
  in.targets = Targets::from_values(to_array(at::randn({6}, at::kDouble)));
  EXPECT_THROW(gbc(in), UsageError);
}

TEST(Gbc, DeclaredClassesWithoutExamplesAreDropped) {
  at::manual_seed(5);
  std::vector<std::int64_t> y(30);
  for (int i = 0; i < 30; ++i) y[i] = i % 3;
  const at::Tensor f = at::randn({30, 4}, at::kDouble) + 0.5 * at::tensor(y, at::kDouble).unsqueeze(1);
  EstimationInput in = make_input(f, y);
  const double g = gbc(in);
  for (auto& c : in.targets.classes) c = c == 2 ? 4 : c;  // classes 2 and 3 declared, never used
  in.targets.num_classes = 5;
  EXPECT_NEAR(gbc(in), g, 1e-12 * std::abs(g));
  for (auto& c : in.targets.classes) c = 4;  // only one class has examples
  EXPECT_THROW(gbc(in), InputError);
}

}  // namespace
}  // namespace taskscout
