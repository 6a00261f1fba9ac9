// Per-target evaluation: grouping, the metric table, means over targets, duplicates.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "expect_close.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/transfer_table.hpp"

namespace taskscout {
namespace {

using testing::close;

TEST(TransferTable, MetricTableIsFixed) {
  std::vector<std::string> names;
  for (const auto& m : transfer_metrics()) names.emplace_back(m.name);
  EXPECT_EQ(names, (std::vector<std::string>{"weighted_tau", "kendall_tau_b", "spearman", "pearson", "regret@1",
                                             "regret@3", "regret@5", "ndcg@5", "precision@3"}));
  for (const auto& m : transfer_metrics()) {
    const auto at = m.name.find('@');
    EXPECT_EQ(m.k, at == std::string_view::npos ? 0 : std::stoul(std::string(m.name.substr(at + 1)))) << m.name;
  }
}

TEST(TransferTable, GroupsByTargetInOrderOfFirstAppearance) {
  // Rows of two targets, interleaved.
  const std::vector<TransferRow> rows = {
      {"b", "s1", 0.9, 0.70}, {"a", "s1", 0.1, 0.50}, {"b", "s2", 0.8, 0.60}, {"a", "s2", 0.3, 0.90},
      {"b", "s3", 0.1, 0.80}, {"a", "s3", 0.2, 0.40}, {"b", "s4", 0.5, 0.75}, {"a", "s4", 0.0, 0.45},
  };
  const TransferEvaluation ev = evaluate_transfer(rows);
  ASSERT_EQ(ev.targets.size(), 2u);
  EXPECT_EQ(ev.targets[0].target, "b");
  EXPECT_EQ(ev.targets[1].target, "a");
  EXPECT_EQ(ev.targets[0].n, 4u);

  const std::vector<double> bs{0.9, 0.8, 0.1, 0.5}, bt{0.70, 0.60, 0.80, 0.75};
  const std::vector<double> as{0.1, 0.3, 0.2, 0.0}, at{0.50, 0.90, 0.40, 0.45};
  const auto metrics = transfer_metrics();
  ASSERT_EQ(ev.targets[0].values.size(), metrics.size());
  for (std::size_t m = 0; m < metrics.size(); ++m) {
    EXPECT_EQ(ev.targets[0].values[m], metrics[m](bs, bt)) << metrics[m].name;
    EXPECT_EQ(ev.targets[1].values[m], metrics[m](as, at)) << metrics[m].name;
    EXPECT_TRUE(close(ev.mean.values[m], (*metrics[m](bs, bt) + *metrics[m](as, at)) / 2)) << metrics[m].name;
  }
  // Spot checks against ranking_metrics.hpp (target b is HandComputedTopK there).
  EXPECT_TRUE(close(ev.targets[0].values[4], 12.5));       // regret@1
  EXPECT_TRUE(close(ev.targets[0].values[5], 6.25));       // regret@3
  EXPECT_TRUE(close(ev.targets[0].values[8], 2.0 / 3.0));  // precision@3
  EXPECT_EQ(ev.mean.target, "mean");
  EXPECT_EQ(ev.mean.n, 2u);
}

TEST(TransferTable, MeanSkipsUndefinedValues) {
  // Target "flat" has constant truth: its correlations are undefined, its regret is 0.
  const std::vector<TransferRow> rows = {
      {"t", "s1", 0.1, 0.5},    {"t", "s2", 0.2, 0.6},    {"t", "s3", 0.3, 0.8},
      {"flat", "s1", 0.1, 0.5}, {"flat", "s2", 0.2, 0.5}, {"flat", "s3", 0.3, 0.5},
  };
  const TransferEvaluation ev = evaluate_transfer(rows);
  ASSERT_EQ(ev.targets.size(), 2u);
  EXPECT_EQ(ev.targets[1].values[0], std::nullopt);
  EXPECT_TRUE(close(ev.mean.values[0], 1.0));  // weighted_tau of "t" alone
  EXPECT_TRUE(close(ev.mean.values[1], 1.0));  // kendall_tau_b of "t" alone
  EXPECT_TRUE(close(ev.mean.values[4], 0.0));  // regret@1 over both
  EXPECT_EQ(ev.mean.n, 2u);

  // Undefined for every target: the mean is undefined too.
  const std::vector<TransferRow> flat(rows.begin() + 3, rows.end());
  EXPECT_EQ(evaluate_transfer(flat).mean.values[0], std::nullopt);
}

TEST(TransferTable, NoRows) {
  const TransferEvaluation ev = evaluate_transfer({});
  EXPECT_TRUE(ev.targets.empty());
  EXPECT_EQ(ev.mean.n, 0u);
  ASSERT_EQ(ev.mean.values.size(), transfer_metrics().size());
  for (const auto& v : ev.mean.values) EXPECT_EQ(v, std::nullopt);
}

TEST(TransferTable, DuplicatePairNamesBothRows) {
  std::vector<TransferRow> rows = {
      {"t", "s1", 0.1, 0.5}, {"t", "s2", 0.2, 0.6}, {"u", "s1", 0.3, 0.8}, {"t", "s1", 0.4, 0.7}};
  try {
    evaluate_transfer(rows);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("target 't', source 's1'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 1 and row 4"), std::string::npos) << e.what();
  }
  // With the lines the rows came from, the message names those.
  rows[0].line = 2;
  rows[3].line = 9;
  try {
    evaluate_transfer(rows);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2 and line 9"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace taskscout
