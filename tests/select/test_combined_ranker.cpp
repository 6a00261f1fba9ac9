// The combined ranker: standardization, a ridge fit that recovers planted weights, scoring
// with missing signals, and its weights file.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "taskscout/core/error.hpp"
#include "taskscout/select/combined_ranker.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

TEST(CombinedRanker, StandardizeIsZeroMeanUnitSampleDeviationAndKeepsNaN) {
  const auto z = standardize(std::vector<double>{1, 2, NAN, 3});
  EXPECT_DOUBLE_EQ(z[0], -1);
  EXPECT_DOUBLE_EQ(z[1], 0);
  EXPECT_TRUE(std::isnan(z[2]));
  EXPECT_DOUBLE_EQ(z[3], 1);
  for (double v : standardize(std::vector<double>{5, 5, 5})) EXPECT_EQ(v, 0);  // a constant signal says nothing
}

// Truth planted as 2·a − b + small noise, each target on its own scale: the fit finds the
// direction (2, −1), whatever the scales, and ranks a new target in truth order.
TEST(CombinedRanker, FitRecoversPlantedWeightsAcrossScales) {
  std::mt19937 rng(5);
  std::normal_distribution<double> g(0, 1);
  std::vector<CombinedTrainingTarget> targets;
  for (int t = 0; t < 8; ++t) {
    CombinedTrainingTarget target{"t" + std::to_string(t), {{}, {}, {}}, {}};
    const double scale = 1 + 10 * t, shift = 100.0 * t;
    for (int i = 0; i < 11; ++i) {
      const double a = g(rng), b = g(rng), noise = g(rng);
      target.signals[0].push_back(shift + scale * a);
      target.signals[1].push_back(-3 * b);  // a signal whose sign the fit must learn
      target.signals[2].push_back(noise);   // an irrelevant one
      target.truth.push_back(0.5 + 0.01 * (2 * a - b) + 0.0001 * g(rng));
    }
    targets.push_back(target);
  }
  const CombinedRanker r = fit_combined_ranker({"a", "b", "noise"}, targets, 0.1);
  ASSERT_EQ(r.weights.size(), 3u);
  EXPECT_GT(r.weights[0], 0);
  EXPECT_GT(r.weights[1], 0);  // −3·b: the fit turns it around
  EXPECT_NEAR(r.weights[0] / r.weights[1], 2.0 * std::sqrt(1.0), 0.35);
  EXPECT_LT(std::abs(r.weights[2]), 0.1 * r.weights[0]);
  // A held-out target drawn the same way: the combined order is that of 2·a − b.
  CombinedTrainingTarget held{"held", {{}, {}, {}}, {}};
  std::vector<double> planted;
  for (int i = 0; i < 9; ++i) {
    const double a = g(rng), b = g(rng);
    held.signals[0].push_back(a);
    held.signals[1].push_back(-3 * b);
    held.signals[2].push_back(g(rng));
    planted.push_back(2 * a - b);
  }
  const std::vector<double> s = r.score(held.signals);
  std::size_t concordant = 0, pairs = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = i + 1; j < s.size(); ++j, ++pairs) concordant += (s[i] - s[j]) * (planted[i] - planted[j]) > 0;
  EXPECT_GE(concordant, pairs - 3) << "combined scores should order the held-out target as 2·a − b does";
}

TEST(CombinedRanker, ASourceMissingASignalHasNoScore) {
  CombinedRanker r;
  r.features = {"a", "b"};
  r.weights = {1, 1};
  const auto s = r.score({{1, 2, 3}, {1, NAN, 2}});
  EXPECT_TRUE(std::isfinite(s[0]));
  EXPECT_TRUE(std::isnan(s[1]));
  EXPECT_THROW(r.score({{1, 2}}), InputError);
}

TEST(CombinedRanker, WeightsFileRoundTripAndBadFiles) {
  testing::TempDir dir;
  CombinedRanker r;
  r.features = {"esm-logme", "textemb"};
  r.weights = {0.25, -1.5};
  r.fitted_on = "test";
  r.save(dir / "c.json");
  const CombinedRanker back = CombinedRanker::load(dir / "c.json");
  EXPECT_EQ(back.features, r.features);
  EXPECT_EQ(back.weights, r.weights);
  testing::write_text(dir / "bad.json", R"({"format": "taskscout-combined-ranker", "features": ["a"], "weights": []})");
  EXPECT_THROW(CombinedRanker::load(dir / "bad.json"), InputError);
  testing::write_text(dir / "self.json",
                      R"({"format": "taskscout-combined-ranker", "features": ["combined"], "weights": [1]})");
  EXPECT_THROW(CombinedRanker::load(dir / "self.json"), InputError);
  EXPECT_THROW(fit_combined_ranker({"a"}, std::vector<CombinedTrainingTarget>{}), UsageError);
}

}  // namespace
}  // namespace taskscout
