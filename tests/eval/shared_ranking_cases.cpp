// Every metric of ../shared/reference/ranking/cases.json (scipy/numpy values).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "expect_close.hpp"
#include "taskscout/eval/ranking_metrics.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

// The metric a cases.json key names, e.g. "kendall_tau_b" or "ndcg@3".
Metric compute(const std::string& key, const std::vector<double>& s, const std::vector<double>& t) {
  if (key == "kendall_tau_b") return kendall_tau_b(s, t);
  if (key == "weighted_tau") return weighted_tau(s, t);
  if (key == "spearman") return spearman(s, t);
  if (key == "pearson") return pearson(s, t);
  const auto at = key.find('@');
  if (at == std::string::npos) throw std::runtime_error("unknown key " + key);
  const std::string name = key.substr(0, at);
  const std::size_t k = std::stoul(key.substr(at + 1));
  if (name == "regret") return regret_at_k(s, t, k);
  if (name == "ndcg") return ndcg_at_k(s, t, k);
  if (name == "precision") return precision_at_k(s, t, k);
  throw std::runtime_error("unknown key " + key);
}

TEST(SharedRankingCases, EveryCaseAndKeyMatchesScipy) {
  TASKSCOUT_REQUIRE_SHARED();
  const auto path = testing::shared_dir() / "reference" / "ranking" / "cases.json";
  const auto cases = nlohmann::json::parse(testing::read_text(path));
  ASSERT_TRUE(cases.is_array());
  ASSERT_FALSE(cases.empty());
  std::size_t checked = 0;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const auto scores = cases[c]["scores"].get<std::vector<double>>();
    const auto truth = cases[c]["truth"].get<std::vector<double>>();
    for (const auto& [key, want] : cases[c].items()) {
      if (key == "scores" || key == "truth") continue;
      const Metric expected = want.is_null() ? Metric() : Metric(want.get<double>());
      EXPECT_TRUE(testing::close(compute(key, scores, truth), expected)) << "case " << c << ", " << key;
      ++checked;
    }
  }
  EXPECT_EQ(checked, cases.size() * 13) << "cases.json should give 4 correlations and 9 top-k metrics per case";
}

}  // namespace
}  // namespace taskscout
