// The per-target evaluation of LogME on a published model-selection table
// (../shared/data/model_selection/transfergraph_nlp_logme.csv) against the scipy/numpy
// values of scripts/oracles/ranking_oracle.py, committed as a fixture.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "expect_close.hpp"
#include "taskscout/eval/transfer_table.hpp"
#include "taskscout/io/table.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

std::vector<TransferRow> read_rows(const std::filesystem::path& path) {
  const Table table = read_table(path);
  const std::size_t target = table.require_column("target"), source = table.require_column("source"),
                    score = table.require_column("logme"), truth = table.require_column("finetune_accuracy");
  std::vector<TransferRow> rows;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& r = table.rows[i];
    rows.push_back({r[target], r[source], std::stod(r[score]), std::stod(r[truth]), table.lines[i]});
  }
  return rows;
}

Metric metric_of(const nlohmann::json& j) { return j.is_null() ? Metric() : Metric(j.get<double>()); }

TEST(SharedTransferGraph, EveryTargetAndMetricMatchesScipy) {
  TASKSCOUT_REQUIRE_SHARED();
  const auto rows = read_rows(testing::shared_dir() / "data" / "model_selection" / "transfergraph_nlp_logme.csv");
  const auto expected =
      nlohmann::json::parse(testing::read_text(testing::fixtures_dir() / "eval" / "transfergraph_expected.json"));
  const TransferEvaluation got = evaluate_transfer(rows);
  const auto metrics = transfer_metrics();

  std::vector<std::string> names;
  for (const auto& m : metrics) names.emplace_back(m.name);
  ASSERT_EQ(names, expected["metrics"].get<std::vector<std::string>>());
  ASSERT_EQ(got.targets.size(), expected["targets"].size());

  auto check = [&](const TargetEvaluation& t, const nlohmann::json& want) {
    EXPECT_EQ(t.target, want["target"].get<std::string>());
    EXPECT_EQ(t.n, want["n"].get<std::size_t>()) << t.target;
    ASSERT_EQ(t.values.size(), metrics.size());
    for (std::size_t m = 0; m < metrics.size(); ++m)
      EXPECT_TRUE(testing::close(t.values[m], metric_of(want[std::string(metrics[m].name)])))
          << t.target << ", " << metrics[m].name;
  };
  for (std::size_t i = 0; i < got.targets.size(); ++i) check(got.targets[i], expected["targets"][i]);
  check(got.mean, expected["mean"]);
}

}  // namespace
}  // namespace taskscout
