#pragma once
// The benchmark report's figures and tables (private to src/eval), each drawn from one
// normalized view of the input.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "taskscout/eval/report.hpp"

namespace taskscout::report {

// The report's input in display order, with lookups. Names are unique in each list.
struct BenchmarkView {
  const BenchmarkReport* report = nullptr;
  std::vector<std::string> targets, sources, rankers;
  std::map<std::pair<std::string, std::string>, const TransferMatrixCell*> cells;  // (target, source); first wins
  std::vector<std::string> scored_targets;                   // targets with score rows, in target order
  std::map<std::string, std::vector<const ScoreRow*>> rows;  // target → its score rows, in input order
  std::vector<const RankerSummary*> summaries;               // in ranker order
  std::map<std::string, const RankerSummary*> summary;       // by name
};
BenchmarkView make_view(const BenchmarkReport& report);

// A ranker's metric (mean or, with a target, that target's value); NaN when absent.
double mean_metric(const BenchmarkView& view, const std::string& ranker, const std::string& metric);
double target_metric(const BenchmarkView& view, const std::string& ranker, const std::string& target,
                     const std::string& metric);
// A metric's value as the tables print it (regret in %, two decimals; the others three).
int metric_decimals(const std::string& metric);
std::string metric_label(const std::string& metric);  // weighted τ, Kendall τ-b, regret@1, …

std::string heatmap_figure(const BenchmarkView& view);       // svg#transfer-heatmap and its legend
std::string scatter_figures(const BenchmarkView& view);      // svg.scatter per (target, ranker)
std::string ranker_ci_figure(const BenchmarkView& view);     // svg#ranker-ci
std::string quality_cost_figure(const BenchmarkView& view);  // svg#quality-cost
std::string ranker_tables(const BenchmarkView& view);        // #ranker-table, #target-table, #per-target-table
std::string score_tables(const BenchmarkView& view);         // table.scores-table per target

}  // namespace taskscout::report
