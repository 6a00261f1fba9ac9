// TransRate on orthogonal features by hand, against a direct D×D slogdet, invariances
// and degenerate inputs.
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

// ½ logdet(I_D + ZᵀZ/(nε)) always in the D×D form, with LU-based slogdet.
double rate(const at::Tensor& z, double eps) {
  const at::Tensor a = at::eye(z.size(1), at::kDouble) + z.t().matmul(z) / (static_cast<double>(z.size(0)) * eps);
  return 0.5 * std::get<1>(at::linalg_slogdet(a)).item<double>();
}

double direct_transrate(const at::Tensor& f32, const std::vector<std::int64_t>& y, double eps) {
  const at::Tensor f = f32.to(at::kFloat).to(at::kDouble);
  const at::Tensor z = f - f.mean(0, true);
  const std::int64_t classes = *std::max_element(y.begin(), y.end()) + 1;
  double sum = 0;
  for (std::int64_t c = 0; c < classes; ++c) {
    std::vector<std::int64_t> rows;
    for (std::size_t i = 0; i < y.size(); ++i)
      if (y[i] == c) rows.push_back(static_cast<std::int64_t>(i));
    sum += rate(z.index_select(0, at::tensor(rows, at::kLong)), eps);
  }
  return rate(z, eps) - sum / static_cast<double>(classes);
}

TEST(TransRate, OrthogonalClassesByHand) {
  // Class 0 = ±a·e1, class 1 = ±a·e2. All four: ZᵀZ = diag(2a², 2a²), n = 4, so
  // R(f) = log(1 + a²/(2ε)); each class: ZᵀZ = diag(2a², 0), n = 2, R = ½ log(1 + a²/ε).
  const double a = 0.5, eps = 1e-4;
  const at::Tensor f = at::tensor({a, 0.0, -a, 0.0, 0.0, a, 0.0, -a}, at::kDouble).view({4, 2});
  const double expected = std::log(1 + a * a / (2 * eps)) - 0.5 * std::log(1 + a * a / eps);
  EXPECT_NEAR(transrate(make_input(f, {0, 0, 1, 1})), expected, 1e-12 * expected);
  // Same rows, classes mixed across the axes: each class now spans both axes.
  const double mixed = std::log(1 + a * a / (2 * eps)) - std::log(1 + a * a / (2 * eps));
  EXPECT_NEAR(transrate(make_input(f, {0, 1, 0, 1})), mixed, 1e-12);
}

TEST(TransRate, MatchesDirectLogDetBothShapes) {
  at::manual_seed(1);
  std::vector<std::int64_t> y(90);
  for (int i = 0; i < 90; ++i) y[i] = i % 3;  // 30 per class
  for (std::int64_t d : {8, 50}) {            // n_c > D and n_c < D (the n×n form)
    const at::Tensor f = at::randn({90, d}, at::kDouble) + 2 * at::tensor(y, at::kDouble).unsqueeze(1);
    EstimatorOptions opt;
    opt.transrate_epsilon = 1e-3;
    const double t = transrate(make_input(f, y), opt);
    EXPECT_NEAR(t, direct_transrate(f, y, 1e-3), 1e-9 * std::abs(t)) << "d = " << d;
  }
}

TEST(TransRate, InvariantToRotationAndRelabelling) {
  at::manual_seed(2);
  std::vector<std::int64_t> y(120), relabelled(120);
  for (int i = 0; i < 120; ++i) y[i] = (i / 7) % 4, relabelled[i] = 3 - y[i];
  const at::Tensor f =
      at::randn({120, 10}, at::kDouble) + at::randn({4, 10}, at::kDouble).index_select(0, at::tensor(y, at::kLong));
  const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({10, 10}, at::kDouble)));
  const double t = transrate(make_input(f, y));
  EXPECT_GT(t, 0);
  EXPECT_NEAR(transrate(make_input(f.matmul(q), y)), t, 1e-5 * t);
  EXPECT_NEAR(transrate(make_input(f, relabelled)), t, 1e-12 * t);
}

TEST(TransRate, DegenerateInputsAreDefined) {
  at::manual_seed(3);
  std::vector<std::int64_t> y(40);
  for (int i = 0; i < 40; ++i) y[i] = i % 2;
  y[5] = 2;  // a class with a single example
  const at::Tensor f = at::randn({40, 6}, at::kDouble);
  // A constant column is 0 after centring: it adds nothing to any coding rate.
  const at::Tensor constant = at::cat({f, at::full({40, 1}, -7.25, at::kDouble)}, 1);
  const double t = transrate(make_input(f, y));
  EXPECT_NEAR(transrate(make_input(constant, y)), t, 1e-9 * std::abs(t));
  // A duplicated column and N < D: rank-deficient Grams, still a finite exact value.
  const at::Tensor dup = at::cat({f, f.narrow(1, 0, 1)}, 1);
  EXPECT_NEAR(transrate(make_input(dup, y)), direct_transrate(dup, y, 1e-4), 1e-9 * std::abs(t));
  const at::Tensor wide = at::randn({40, 100}, at::kDouble);
  EXPECT_NEAR(transrate(make_input(wide, y)), direct_transrate(wide, y, 1e-4), 1e-9);
}

TEST(TransRate, RefusesRegressionAndBadEpsilon) {
  EstimationInput in = make_input(at::randn({6, 2}, at::kDouble), {0, 1, 0, 1, 0, 1});
  EstimatorOptions opt;
  opt.transrate_epsilon = 0;
  EXPECT_THROW(transrate(in, opt), UsageError);
  in.targets = Targets::from_values(to_array(at::randn({6}, at::kDouble)));
  EXPECT_THROW(transrate(in), UsageError);
}

TEST(TransRate, DeclaredClassesWithoutExamplesAreDropped) {
  at::manual_seed(4);
  std::vector<std::int64_t> y(30);
  for (int i = 0; i < 30; ++i) y[i] = i % 3;
  EstimationInput in = make_input(at::randn({30, 4}, at::kDouble), y);
  const double t = transrate(in);
  for (auto& c : in.targets.classes) c = c == 0 ? 5 : c;  // class 0 declared, never used
  in.targets.num_classes = 6;
  EXPECT_NEAR(transrate(in), t, 1e-12 * std::abs(t));
}

}  // namespace
}  // namespace taskscout
