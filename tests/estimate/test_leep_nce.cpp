// LEEP and NCE on hand-computed cases, their limits and invariances, and the refusals.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout {
namespace {

EstimationInput make_input(const std::vector<std::int64_t>& labels, const at::Tensor& probs) {
  EstimationInput in;
  in.features = to_array(at::randn({static_cast<std::int64_t>(labels.size()), 3}, at::kFloat));
  in.targets = Targets::from_class_labels(labels);
  in.source_probs = to_array(probs.to(at::kFloat).contiguous());
  return in;
}

at::Tensor random_probs(std::int64_t n, std::int64_t z, std::uint64_t seed) {
  at::manual_seed(seed);
  return at::softmax(2 * at::randn({n, z}, at::kDouble), 1);
}

TEST(Leep, FourExamplesByHand) {
  const at::Tensor p = at::tensor({0.8, 0.2, 0.6, 0.4, 0.3, 0.7, 0.1, 0.9}, at::kDouble).view({4, 2});
  // Soft joint ×4: y=0 → (1.4, 0.6), y=1 → (0.4, 1.6); P(z) ×4 = (1.8, 2.2), so
  // P(y|z=0) = (7/9, 2/9) and P(y|z=1) = (3/11, 8/11).
  const double expected = (std::log(0.8 * 7 / 9 + 0.2 * 3 / 11) + std::log(0.6 * 7 / 9 + 0.4 * 3 / 11) +
                           std::log(0.3 * 2 / 9 + 0.7 * 8 / 11) + std::log(0.1 * 2 / 9 + 0.9 * 8 / 11)) /
                          4;
  // float32 probabilities: agreement to float32 rounding of the inputs.
  EXPECT_NEAR(leep(make_input({0, 0, 1, 1}, p)), expected, 1e-7);
}

TEST(Nce, FourExamplesByHand) {
  const at::Tensor p = at::tensor({0.8, 0.2, 0.6, 0.4, 0.3, 0.7, 0.1, 0.9}, at::kDouble).view({4, 2});
  // Z = (0, 0, 1, 1). Labels (0, 0, 1, 1): Y is a function of Z, H(Y|Z) = 0.
  EXPECT_NEAR(nce(make_input({0, 0, 1, 1}, p)), 0.0, 1e-15);
  // Labels (0, 1, 1, 1): Y|Z=0 is a fair coin (P(Z=0) = ½), Y|Z=1 is certain.
  EXPECT_NEAR(nce(make_input({0, 1, 1, 1}, p)), -0.5 * std::log(2.0), 1e-15);
}

TEST(Nce, ArgmaxTieTakesTheFirstSourceClass) {
  // Row 0 ties (0.5, 0.5) → z = 0, joining row 1; Z = (0, 0, 1).
  const at::Tensor p = at::tensor({0.5, 0.5, 0.9, 0.1, 0.2, 0.8}, at::kDouble).view({3, 2});
  // Y = (0, 0, 1) is then a function of Z (had the tie gone to z = 1: −(2/3)·ln 2).
  EXPECT_NEAR(nce(make_input({0, 0, 1}, p)), 0.0, 1e-15);
  // Y = (1, 0, 1): Y|Z=0 is a fair coin with P(Z=0) = 2/3 (had it gone to z = 1: 0).
  EXPECT_NEAR(nce(make_input({1, 0, 1}, p)), -(2.0 / 3.0) * std::log(2.0), 1e-15);
}

TEST(LeepNce, PerfectAndUninformativeSources) {
  const std::vector<std::int64_t> y = {0, 1, 2, 2, 1, 0, 2, 2};
  const at::Tensor onehot = at::one_hot(at::tensor(y, at::kLong), 3).to(at::kDouble);
  EXPECT_NEAR(leep(make_input(y, onehot)), 0.0, 1e-12);
  EXPECT_NEAR(nce(make_input(y, onehot)), 0.0, 1e-12);
  // A constant prediction carries no information: both equal −H(Y), H(Y) of (¼, ¼, ½).
  const at::Tensor uniform = at::full({8, 4}, 0.25, at::kDouble);
  const double neg_entropy = 0.5 * std::log(0.25) + 0.5 * std::log(0.5);
  EXPECT_NEAR(leep(make_input(y, uniform)), neg_entropy, 1e-7);
  EXPECT_NEAR(nce(make_input(y, uniform)), neg_entropy, 1e-12);
}

TEST(LeepNce, InvariantToRelabellingAndSourceClassOrder) {
  std::vector<std::int64_t> y(200), relabelled(200);
  for (int i = 0; i < 200; ++i) y[i] = (i * 7) % 4, relabelled[i] = std::vector<std::int64_t>{2, 0, 3, 1}[y[i]];
  const at::Tensor p = random_probs(200, 6, 1);
  const at::Tensor permuted = p.index_select(1, at::tensor({3, 5, 0, 1, 4, 2}, at::kLong));
  const double l = leep(make_input(y, p)), n = nce(make_input(y, p));
  EXPECT_LT(l, 0);
  EXPECT_LT(n, 0);
  EXPECT_NEAR(leep(make_input(relabelled, p)), l, 1e-12);
  EXPECT_NEAR(leep(make_input(y, permuted)), l, 1e-12);
  EXPECT_NEAR(nce(make_input(relabelled, p)), n, 1e-12);
  EXPECT_NEAR(nce(make_input(y, permuted)), n, 1e-12);
}

TEST(LeepNce, UnusedSourceClassChangesNothing) {
  std::vector<std::int64_t> y(50);
  for (int i = 0; i < 50; ++i) y[i] = i % 3;
  const at::Tensor p = random_probs(50, 4, 2);
  const at::Tensor padded = at::cat({p, at::zeros({50, 1}, at::kDouble)}, 1);  // P̂(z=4) = 0
  const double l = leep(make_input(y, padded));
  EXPECT_TRUE(std::isfinite(l));
  EXPECT_NEAR(l, leep(make_input(y, p)), 1e-12);
  EXPECT_NEAR(nce(make_input(y, padded)), nce(make_input(y, p)), 1e-12);
}

TEST(LeepNce, BoundedByZeroAndMinusLabelEntropy) {
  std::vector<std::int64_t> y(300);
  for (int i = 0; i < 300; ++i) y[i] = (i * i) % 5;
  const double l = leep(make_input(y, random_probs(300, 7, 3)));
  const double n = nce(make_input(y, random_probs(300, 7, 3)));
  // LEEP ≤ 0 (its log argument is a probability); NCE ∈ [−H(Y), 0].
  std::vector<double> freq(5, 0);
  for (auto c : y) freq[c] += 1.0 / 300;
  double neg_h = 0;
  for (double f : freq) neg_h += f > 0 ? f * std::log(f) : 0;
  EXPECT_LE(l, 0);
  EXPECT_GE(n, neg_h - 1e-12);
  EXPECT_LE(n, 0);
}

TEST(LeepNce, NeedSourceProbabilities) {
  EstimationInput in = make_input({0, 1, 0, 1}, at::full({4, 2}, 0.5, at::kDouble));
  in.source_probs.reset();
  for (auto fn : {leep, nce}) {
    try {
      fn(in, {});
      FAIL() << "expected UsageError";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("pass them as source_probs"), std::string::npos) << e.what();
    }
  }
}

TEST(LeepNce, ClassificationOnly) {
  EstimationInput in = make_input({0, 1, 0, 1}, at::full({4, 2}, 0.5, at::kDouble));
  in.targets = Targets::from_values(to_array(at::randn({4}, at::kDouble)));
  EXPECT_THROW(leep(in), UsageError);
  EXPECT_THROW(nce(in), UsageError);
}

}  // namespace
}  // namespace taskscout
