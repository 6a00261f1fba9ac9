#include "taskscout/eval/transfer_table.hpp"

#include <fmt/format.h>

#include <array>
#include <map>
#include <unordered_map>
#include <utility>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

// Correlations take no k; adapt them to the table's signature.
template <Metric (*F)(std::span<const double>, std::span<const double>)>
Metric ignore_k(std::span<const double> scores, std::span<const double> truth, std::size_t) {
  return F(scores, truth);
}

const std::array<RankingMetric, 9> kTransferMetrics = {{
    {"weighted_tau", ignore_k<weighted_tau>, 0},
    {"kendall_tau_b", ignore_k<kendall_tau_b>, 0},
    {"spearman", ignore_k<spearman>, 0},
    {"pearson", ignore_k<pearson>, 0},
    {"regret@1", regret_at_k, 1},
    {"regret@3", regret_at_k, 3},
    {"regret@5", regret_at_k, 5},
    {"ndcg@5", ndcg_at_k, 5},
    {"precision@3", precision_at_k, 3},
}};

std::string where(const TransferRow& row, std::size_t index) {
  return row.line > 0 ? fmt::format("line {}", row.line) : fmt::format("row {}", index + 1);
}

}  // namespace

std::span<const RankingMetric> transfer_metrics() { return kTransferMetrics; }

TransferEvaluation evaluate_transfer(std::span<const TransferRow> rows) {
  struct Group {
    std::vector<double> scores, truth;
  };
  std::vector<std::string> names;
  std::vector<Group> groups;
  std::unordered_map<std::string, std::size_t> group_of;
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> seen;  // (target, source) → row

  for (std::size_t i = 0; i < rows.size(); ++i) {
    const TransferRow& row = rows[i];
    auto [it, inserted] = seen.emplace(std::pair<std::string_view, std::string_view>(row.target, row.source), i);
    if (!inserted)
      throw InputError(fmt::format(
          "target '{}', source '{}' appears twice, at {} and {}; keep one measurement per (target, source) pair",
          row.target, row.source, where(rows[it->second], it->second), where(row, i)));
    auto [g, added] = group_of.emplace(row.target, groups.size());
    if (added) {
      names.push_back(row.target);
      groups.emplace_back();
    }
    groups[g->second].scores.push_back(row.score);
    groups[g->second].truth.push_back(row.truth);
  }

  const auto metrics = transfer_metrics();
  TransferEvaluation out;
  std::vector<double> sums(metrics.size(), 0.0);
  std::vector<std::size_t> counts(metrics.size(), 0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    TargetEvaluation t{names[g], groups[g].scores.size(), {}};
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      t.values.push_back(metrics[m](groups[g].scores, groups[g].truth));
      if (t.values.back()) {
        sums[m] += *t.values.back();
        ++counts[m];
      }
    }
    out.targets.push_back(std::move(t));
  }

  out.mean = {"mean", groups.size(), {}};
  for (std::size_t m = 0; m < metrics.size(); ++m)
    out.mean.values.push_back(counts[m] ? Metric(sums[m] / static_cast<double>(counts[m])) : std::nullopt);
  return out;
}

}  // namespace taskscout
