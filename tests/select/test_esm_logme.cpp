// ESM-LogME with shared target statistics against the direct route: apply the ESM in
// float64 and run taskscout's LogME on the mapped features (the same code logme() runs).
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/esm/apply_esm.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/estimate/logme_gram.hpp"
#include "taskscout/select/esm_logme.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

Esm random_esm(std::int64_t d, std::uint64_t seed, double scale = 1.0) {
  at::manual_seed(seed);
  Esm esm;
  esm.weight = to_array((at::randn({d, d}) * scale / std::sqrt(static_cast<double>(d)) + at::eye(d)).contiguous());
  esm.bias = to_array(at::randn({d}).contiguous());
  return esm;
}

EstimationInput classification_target(const at::Tensor& x, std::int64_t classes, std::uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor ids = at::randint(classes, {x.size(0)}, at::kLong);
  std::vector<std::int64_t> labels(ids.data_ptr<std::int64_t>(), ids.data_ptr<std::int64_t>() + x.size(0));
  for (std::int64_t c = 0; c < classes; ++c) labels[c] = c;
  EstimationInput in;
  // Features that carry the classes, so the evidence is not at a boundary.
  at::Tensor shifted = x.clone();
  for (std::int64_t i = 0; i < x.size(0); ++i) shifted[i][labels[i] % x.size(1)] += 2.0;
  in.features = to_array(shifted.to(at::kFloat).contiguous());
  in.targets = Targets::from_class_labels(labels);
  return in;
}

// The direct route: ESM applied in float64, then LogME's own statistics of the result.
double direct(const EstimationInput& in, const Esm& esm) {
  const at::Tensor mapped = apply_esm(esm, as_tensor(in.features).to(at::kDouble));
  return logme_from_gram(logme_gram(mapped, logme_target_matrix(in.targets)));
}

void expect_same(const EstimationInput& in, const Esm& esm) {
  const EsmLogmeTarget target(in);
  const double shared = target.score(esm), reference = direct(in, esm);
  EXPECT_NEAR(shared, reference, 1e-9 * std::abs(reference))
      << "N=" << in.features.rows() << " D=" << in.features.cols();
}

TEST(EsmLogme, EqualsApplyingTheMapWhenNExceedsD) {
  expect_same(classification_target(at::randn({80, 12}, at::kDouble), 3, 1), random_esm(12, 2));
}

TEST(EsmLogme, EqualsApplyingTheMapWhenNIsBelowD) {
  expect_same(classification_target(at::randn({10, 25}, at::kDouble), 2, 3), random_esm(25, 4));
}

TEST(EsmLogme, EqualsApplyingTheMapAtTheBoundaries) {
  // N = D (dual; [X 1] has one column more than rows) and N = D + 1 (primal, R square).
  expect_same(classification_target(at::randn({16, 16}, at::kDouble), 2, 5), random_esm(16, 6));
  expect_same(classification_target(at::randn({17, 16}, at::kDouble), 3, 7), random_esm(16, 8));
}

TEST(EsmLogme, EqualsApplyingTheMapForRankDeficientFeatures) {
  // Duplicated and constant columns: [X 1] has rank 6 of 11.
  at::manual_seed(9);
  at::Tensor base = at::randn({60, 5}, at::kDouble);
  at::Tensor x = at::cat({base, base.narrow(1, 0, 3), at::full({60, 2}, 0.5, at::kDouble)}, 1);
  EstimationInput in = classification_target(x, 2, 10);
  // Keep the rank deficiency exact: no class shift on the duplicated columns.
  in.features = to_array(x.to(at::kFloat).contiguous());
  expect_same(in, random_esm(10, 11));
  // A rank-deficient map as well.
  Esm esm = random_esm(10, 12);
  at::Tensor w = as_tensor(esm.weight).clone();
  w.narrow(0, 0, 4).zero_();
  esm.weight = to_array(w);
  expect_same(in, esm);
}

TEST(EsmLogme, EqualsApplyingTheMapForRegression) {
  at::manual_seed(13);
  const at::Tensor x = at::randn({70, 9}, at::kDouble);
  at::Tensor y = x.narrow(1, 0, 2).matmul(at::randn({2, 2}, at::kDouble)) + 0.3 * at::randn({70, 2}, at::kDouble);
  EstimationInput in;
  in.features = to_array(x.to(at::kFloat).contiguous());
  in.targets = Targets::from_values(to_array(y.contiguous()));
  expect_same(in, random_esm(9, 14));
  // And N < D.
  EstimationInput small;
  small.features = to_array(x.narrow(0, 0, 6).to(at::kFloat).contiguous());
  small.targets = Targets::from_values(to_array(y.narrow(0, 0, 6).contiguous()));
  expect_same(small, random_esm(9, 15));
}

TEST(EsmLogme, IdentityMapGivesPlainLogme) {
  EstimationInput in = classification_target(at::randn({50, 8}, at::kDouble), 2, 16);
  Esm identity;
  identity.weight = to_array(at::eye(8, at::kFloat));
  identity.bias = to_array(at::zeros({8}, at::kFloat));
  // logme() works from the float32 features, as the target does: same values exactly.
  EXPECT_NEAR(EsmLogmeTarget(in).score(identity), logme(in), 1e-9 * std::abs(logme(in)));
}

TEST(EsmLogme, OneTargetScoresManyMapsAndTheRankingFollowsTheSignal) {
  // A map that keeps the class direction outranks one that projects it away.
  EstimationInput in = classification_target(at::randn({120, 6}, at::kDouble) * 0.3, 2, 17);
  const EsmLogmeTarget target(in);
  Esm keep = random_esm(6, 18, 0.0), drop = random_esm(6, 18, 0.0);
  at::Tensor w = as_tensor(drop.weight).clone();
  w.narrow(0, 0, 2).zero_();  // classes live in coordinates 0 and 1
  drop.weight = to_array(w);
  EXPECT_GT(target.score(keep), target.score(drop));
}

TEST(EsmLogme, HalfPrecisionMapsMoveScoresLittleAndKeepAWellSeparatedOrder) {
  // Storing ESMs as F16 (half the bytes a large pool streams) rounds each weight by at most
  // 2^-11 relative. Through the real file path (save as F16, load_esm decodes to F32), every
  // score must stay within a small bound of the F32 score, and sources whose F32 scores are
  // well apart must keep their order. The pool: maps that keep a decreasing share of the
  // class directions (coordinates 0..2), plus noise, at D = 16, 32 and 64; the order
  // judged is the F32 one.
  testing::TempDir dir;
  for (const std::int64_t d : {16, 32, 64}) {
    at::manual_seed(d);  // the same fixture whichever tests ran before
    const EsmLogmeTarget target(classification_target(at::randn({4 * d, d}, at::kDouble) * 0.5, 3, 30 + d));
    std::vector<double> s32, s16;
    for (int k = 0; k < 6; ++k) {
      Esm esm = random_esm(d, 100 * d + k, 0.3);
      at::Tensor w = as_tensor(esm.weight).clone();
      w.narrow(0, 0, 3).mul_(1.0 - 0.19 * k);  // source k keeps less of the class signal
      esm.weight = to_array(w.contiguous());
      const auto f32 = dir / fmt::format("d{}_{}_f32.safetensors", d, k);
      const auto f16 = dir / fmt::format("d{}_{}_f16.safetensors", d, k);
      save_esm(f32, esm);
      save_esm(f16, esm, DType::F16);
      s32.push_back(target.score(load_esm(f32)));
      s16.push_back(target.score(load_esm(f16)));
    }
    double worst = 0;
    for (int k = 0; k < 6; ++k) {
      worst = std::max(worst, std::abs(s16[k] - s32[k]));
      EXPECT_NE(s16[k], s32[k]) << "the F16 file was not rounded";
    }
    // LogME is an evidence per example: the change must be far below the gaps ranked on.
    // Measured: at most 6e-5 at D = 16..64; gaps of 1e-3 and more must keep their order.
    EXPECT_LT(worst, 2e-4) << "D=" << d;
    int separated = 0;
    for (int a = 0; a < 6; ++a)
      for (int b = 0; b < 6; ++b)
        if (s32[a] - s32[b] > 1e-3) {
          ++separated;
          EXPECT_GT(s16[a], s16[b]) << "D=" << d << ": F16 changed the order of sources " << a << " and " << b;
        }
    EXPECT_GE(separated, 12) << "D=" << d << ": the fixture's sources are not well separated";
  }
}

TEST(EsmLogme, ScoresDoNotDependOnTheMapsScale) {
  // LogME maximizes over α, so scaling the features leaves it unchanged. Scales of 2^±80
  // put the pivots of LogME's tridiagonal far outside 2^±125, where the products of 8
  // pivots it takes logs of would leave the double range: the per-pivot route takes over.
  EstimationInput in = classification_target(at::randn({40, 6}, at::kDouble), 2, 22);
  const EsmLogmeTarget target(in);
  const Esm esm = random_esm(6, 23);
  const double plain = target.score(esm);
  for (double scale : {0x1p-80, 0x1p+80}) {
    Esm scaled;
    scaled.weight = to_array(as_tensor(esm.weight) * scale);
    scaled.bias = to_array(as_tensor(esm.bias) * scale);
    EXPECT_NEAR(target.score(scaled), plain, 1e-9 * std::abs(plain)) << scale;
  }
}

TEST(EsmLogme, RejectsMapsOfAnotherDimensionOrWithNonFiniteValues) {
  const EsmLogmeTarget target(classification_target(at::randn({30, 8}, at::kDouble), 2, 19));
  try {
    target.score(random_esm(9, 20), "source sst2");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("source sst2: the ESM maps 9-dimensional"), std::string::npos) << e.what();
  }
  Esm bad = random_esm(8, 21);
  at::Tensor b = as_tensor(bad.bias).clone();
  b[3] = std::nan("");
  bad.bias = to_array(b);
  EXPECT_THROW(target.score(bad, "x"), InputError);
}

TEST(EsmLogme, RejectsAnAllZeroRegressionColumnOnceForAllSources) {
  EstimationInput in;
  in.features = to_array(at::randn({10, 4}));
  at::Tensor y = at::randn({10, 2}, at::kDouble);
  y.select(1, 1).zero_();
  in.targets = Targets::from_values(to_array(y.contiguous()));
  try {
    EsmLogmeTarget target(in, "y.npy");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("y.npy: regression target column 1 is all zeros"), std::string::npos)
        << e.what();
  }
}

TEST(EsmLogme, RejectsATargetWithOneClass) {
  EstimationInput in;
  in.features = to_array(at::randn({10, 4}));
  in.targets = Targets::from_class_labels(std::vector<std::int64_t>(10, 3));
  EXPECT_THROW(EsmLogmeTarget(in, "target.csv"), InputError);
}

}  // namespace
}  // namespace taskscout
