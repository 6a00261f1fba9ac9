// LogME against a brute-force maximization of the dense Gaussian evidence, and its
// invariances. The brute force shares no code with logme.cpp: it builds the N×N
// covariance FFᵀ/α + I/β, evaluates log N(y | 0, ·) with slogdet and solve, and
// maximizes over (log α, log β) with nested golden-section searches.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "estimation_input.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {
namespace {

double golden_max(const std::function<double(double)>& f, double a, double b, double tol = 1e-7) {
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = f(x1), f2 = f(x2);
  while (b - a > tol) {
    if (f1 < f2)
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = f(x2);
    else
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = f(x1);
  }
  return std::max(f1, f2);
}

double log_gaussian(const at::Tensor& cov, const at::Tensor& y) {
  auto [sign, logabsdet] = at::linalg_slogdet(cov);
  const double n = static_cast<double>(y.size(0));
  const double quad = y.dot(at::linalg_solve(cov, y)).item<double>();
  return -0.5 * (n * std::log(2 * std::numbers::pi) + logabsdet.item<double>() + quad);
}

// max over α, β of log N(y | 0, FFᵀ/α + I/β) / N, averaged over columns of Y.
double brute_force_logme(const at::Tensor& f32, const at::Tensor& y_matrix) {
  const at::Tensor f = f32.to(at::kDouble);
  const at::Tensor k = f.matmul(f.t());
  const at::Tensor eye = at::eye(f.size(0), at::kDouble);
  double total = 0;
  for (int64_t j = 0; j < y_matrix.size(1); ++j) {
    const at::Tensor y = y_matrix.select(1, j).contiguous();
    auto over_beta = [&](double log_alpha) {
      return golden_max(
          [&](double log_beta) { return log_gaussian(k / std::exp(log_alpha) + eye / std::exp(log_beta), y); }, -25,
          25);
    };
    total += golden_max(over_beta, -25, 25) / static_cast<double>(f.size(0));
  }
  return total / static_cast<double>(y_matrix.size(1));
}

std::vector<int64_t> random_labels(int64_t n, int64_t classes, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor ids = at::randint(classes, {n}, at::kLong);
  std::vector<int64_t> out(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + n);
  for (int64_t c = 0; c < classes; ++c) out[c] = c;  // every class present
  return out;
}

at::Tensor one_hot(const std::vector<int64_t>& labels) {
  at::Tensor ids = at::tensor(labels, at::kLong);
  return at::one_hot(ids).to(at::kDouble);
}

// Features with class signal: class means plus noise.
at::Tensor signal_features(const std::vector<int64_t>& labels, int64_t d, double noise, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor means = at::randn({8, d}, at::kDouble);
  at::Tensor f = at::randn({static_cast<int64_t>(labels.size()), d}, at::kDouble) * noise;
  for (size_t i = 0; i < labels.size(); ++i) f[i] += means[labels[i]];
  return f.to(at::kFloat);
}

struct Shape {
  int64_t n, d, classes;
};

class LogmeBruteForce : public ::testing::TestWithParam<Shape> {};

TEST_P(LogmeBruteForce, MatchesDenseEvidenceMaximization) {
  const Shape s = GetParam();
  const auto labels = random_labels(s.n, s.classes, 7);
  const at::Tensor f = signal_features(labels, s.d, 1.5, 11);
  const double expected = brute_force_logme(f, one_hot(labels));
  const double got = logme(make_input(f, labels));
  EXPECT_NEAR(got, expected, 1e-6 * std::abs(expected) + 1e-9) << "N=" << s.n << " D=" << s.d;
}

INSTANTIATE_TEST_SUITE_P(Shapes, LogmeBruteForce,
                         ::testing::Values(Shape{12, 30, 2},  // N < D: the reference code's failure
                                           Shape{20, 20, 3},  // N = D
                                           Shape{40, 6, 2},   // N > D
                                           Shape{35, 10, 4}));

TEST(Logme, RankDeficientFeaturesMatchBruteForce) {
  const auto labels = random_labels(30, 2, 3);
  at::Tensor base = signal_features(labels, 4, 1.0, 5);
  // 12 columns spanning only a 4-dimensional space.
  at::manual_seed(9);
  const at::Tensor f = base.matmul(at::randn({4, 12}));
  EXPECT_NEAR(logme(make_input(f, labels)), brute_force_logme(f, one_hot(labels)), 1e-6);
}

TEST(Logme, RegressionMatchesBruteForce) {
  at::manual_seed(21);
  const at::Tensor f = at::randn({25, 8});
  const at::Tensor w = at::randn({8, 2});
  const at::Tensor y = (f.matmul(w) + 0.5 * at::randn({25, 2})).to(at::kDouble);
  EstimationInput in;
  in.features = to_array(f);
  in.targets = Targets::from_values(to_array(y));
  EXPECT_NEAR(logme(in), brute_force_logme(f, y), 1e-6);
}

TEST(Logme, InvariantUnderOrthogonalRotationOfFeatures) {
  const auto labels = random_labels(60, 3, 1);
  const at::Tensor f = signal_features(labels, 16, 1.0, 2);
  at::manual_seed(4);
  const at::Tensor q = std::get<0>(at::linalg_qr(at::randn({16, 16}, at::kDouble)));
  const at::Tensor rotated = f.to(at::kDouble).matmul(q).to(at::kFloat);
  EXPECT_NEAR(logme(make_input(f, labels)), logme(make_input(rotated, labels)), 1e-5);
}

TEST(Logme, InvariantUnderRelabelingClasses) {
  const auto labels = random_labels(50, 3, 8);
  const at::Tensor f = signal_features(labels, 10, 1.0, 9);
  std::vector<int64_t> permuted;
  for (auto c : labels) permuted.push_back((c + 1) % 3 + 10);  // renamed and reordered
  EXPECT_DOUBLE_EQ(logme(make_input(f, labels)), logme(make_input(f, permuted)));
}

TEST(Logme, DuplicatedColumnsLeaveTheEvidenceUnchanged) {
  // [F F] has Gram 2·FFᵀ; the 2 is absorbed by α, so the exact evidence is unchanged.
  // The reference code changes its value here: D doubles and it drops (D − k)/2·log α.
  for (auto [n, d] : {std::pair<int64_t, int64_t>{40, 8}, {10, 8}}) {
    const auto labels = random_labels(n, 2, 5);
    const at::Tensor f = signal_features(labels, d, 1.0, 6);
    EXPECT_NEAR(logme(make_input(f, labels)), logme(make_input(at::cat({f, f}, 1), labels)), 1e-9)
        << "N=" << n << " D=" << d;
  }
}

TEST(Logme, InvariantUnderScalingFeatures) {
  const auto labels = random_labels(30, 2, 12);
  const at::Tensor f = signal_features(labels, 5, 1.0, 13);
  EXPECT_NEAR(logme(make_input(f, labels)), logme(make_input(f * 100, labels)), 1e-8);
}

TEST(Logme, MoreSignalScoresHigher) {
  const auto labels = random_labels(200, 2, 14);
  const double clear = logme(make_input(signal_features(labels, 8, 0.2, 15), labels));
  const double weak = logme(make_input(signal_features(labels, 8, 5.0, 15), labels));
  EXPECT_GT(clear, weak);
}

TEST(Logme, ZeroFeaturesGiveTheNoModelEvidence) {
  // With F = 0 the evidence is max_β log N(y | 0, I/β) = −N/2·(log(2π‖y‖²/N) + 1).
  std::vector<int64_t> labels = {0, 1, 1, 0, 1, 1};
  const double n = 6;
  double expected = 0;
  for (double ones : {2.0, 4.0}) expected += -0.5 * (std::log(2 * std::numbers::pi * ones / n) + 1);
  EXPECT_NEAR(logme(make_input(at::zeros({6, 3}), labels)), expected / 2, 1e-12);
}

TEST(Logme, AllZeroRegressionTargetIsAnError) {
  EstimationInput in;
  in.features = to_array(at::randn({5, 2}));
  in.targets = Targets::from_values(to_array(at::zeros({5, 1}, at::kDouble)));
  EXPECT_THROW(logme(in), InputError);
}

}  // namespace
}  // namespace taskscout
