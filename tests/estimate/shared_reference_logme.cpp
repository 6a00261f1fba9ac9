// LogME against the independent reference values in ../shared/reference/estimators:
// exact evidence, including N < D (n_lt_d) where the widely copied code is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/npy.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

TEST(SharedReference, LogmeMatchesEveryCase) {
  TASKSCOUT_REQUIRE_SHARED();
  int cases = 0;
  for (const auto& dir : std::filesystem::directory_iterator(testing::shared_dir() / "reference" / "estimators")) {
    const auto expected = nlohmann::json::parse(testing::read_text(dir.path() / "expected.json"));
    EstimationInput in;
    in.features = read_npy(dir.path() / "features.npy");
    const Array labels = read_npy(dir.path() / "labels.npy");
    if (expected["regression"].get<bool>()) {
      in.targets = Targets::from_values(labels);
    } else {
      auto v = labels.values<std::int64_t>();
      in.targets = Targets::from_class_labels({v.begin(), v.end()});
    }
    validate(in);
    const double want = expected["logme"].get<double>();
    EXPECT_NEAR(logme(in), want, std::max(1e-6 * std::abs(want), 1e-9)) << dir.path().filename();
    ++cases;
  }
  EXPECT_GE(cases, 7);
}

}  // namespace
}  // namespace taskscout
