// Every closed-form estimator against the independent numpy/scipy/scikit-learn values in
// ../shared/reference/estimators/<case>/expected.json (definitions in its README):
// relative error ≤ 1e-6, or absolute ≤ 1e-9 where the expected value is near zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/npy.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name;
  EstimationInput input;
  nlohmann::json expected;
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  for (const auto& dir : fs::directory_iterator(testing::shared_dir() / "reference" / "estimators")) {
    if (!dir.is_directory()) continue;
    Case c;
    c.name = dir.path().filename().string();
    c.expected = nlohmann::json::parse(testing::read_text(dir.path() / "expected.json"));
    c.input.features = read_npy(dir.path() / "features.npy");
    const Array labels = read_npy(dir.path() / "labels.npy");
    if (labels.dtype() == DType::I64) {
      auto v = labels.values<std::int64_t>();
      c.input.targets = Targets::from_class_labels({v.begin(), v.end()});
    } else {
      c.input.targets = Targets::from_values(labels);
    }
    if (fs::exists(dir.path() / "source_probs.npy")) c.input.source_probs = read_npy(dir.path() / "source_probs.npy");
    cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

// Runs `fn` on every case whose expected.json has `key`; returns the largest relative error.
double check(const std::string& key, double (*fn)(const EstimationInput&, const EstimatorOptions&),
             const EstimatorOptions& opt = {}) {
  double worst = 0;
  int compared = 0;
  for (const Case& c : load_cases()) {
    if (!c.expected.contains(key)) continue;
    const double want = c.expected[key].get<double>();
    const double got = fn(c.input, opt);
    const double err = std::abs(got - want);
    EXPECT_LE(err, std::max(1e-6 * std::abs(want), 1e-9))
        << key << " on " << c.name << ": got " << got << ", expected " << want;
    if (std::abs(want) > 1e-6) worst = std::max(worst, err / std::abs(want));
    ++compared;
  }
  EXPECT_GE(compared, 6) << "expected the six classification reference cases for " << key;
  std::printf("[ reference ] %-20s max relative error %.2e over %d cases\n", key.c_str(), worst, compared);
  return worst;
}

TEST(ReferenceEstimators, Leep) {
  TASKSCOUT_REQUIRE_SHARED();
  check("leep", leep);
}

TEST(ReferenceEstimators, Nce) {
  TASKSCOUT_REQUIRE_SHARED();
  check("nce", nce);
}

TEST(ReferenceEstimators, HScore) {
  TASKSCOUT_REQUIRE_SHARED();
  check("h_score", h_score);
}

TEST(ReferenceEstimators, RegularizedHScore) {
  TASKSCOUT_REQUIRE_SHARED();
  check("regularized_h_score", regularized_h_score);
}

TEST(ReferenceEstimators, TransRate) {
  TASKSCOUT_REQUIRE_SHARED();
  check("transrate", transrate);
}

TEST(ReferenceEstimators, Gbc) {
  TASKSCOUT_REQUIRE_SHARED();
  check("gbc", gbc);
}

TEST(ReferenceEstimators, Knn1LeaveOneOut) {
  TASKSCOUT_REQUIRE_SHARED();
  EstimatorOptions opt;
  opt.knn_k = 1;
  check("knn1_loo", knn, opt);
}

// The regression case: the classification-only estimators refuse it, the others score it.
TEST(ReferenceEstimators, RegressionCase) {
  TASKSCOUT_REQUIRE_SHARED();
  for (const Case& c : load_cases()) {
    if (c.input.targets.kind != TaskKind::Regression) continue;
    EXPECT_THROW(h_score(c.input), UsageError);
    EXPECT_THROW(transrate(c.input), UsageError);
    EXPECT_THROW(gbc(c.input), UsageError);
    const double mse = -knn(c.input);
    EXPECT_GT(mse, 0);
    EXPECT_TRUE(std::isfinite(mse));
    const double r2 = linear_probe(c.input);
    EXPECT_LE(r2, 1.0);
    EXPECT_TRUE(std::isfinite(r2));
    return;
  }
  FAIL() << "no regression case in the reference folder";
}

}  // namespace
}  // namespace taskscout
