#pragma once
// Evaluates a ranker against a measured transfer table: rows of (target, source,
// predicted score, true transfer performance). Each target's sources are ranked on
// their own; the result has one row of metrics per target plus their mean.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/eval/ranking_metrics.hpp"

namespace taskscout {

// One column of the evaluation: a metric and, for top-k metrics, its k.
struct RankingMetric {
  std::string_view name;  // column header and JSON key, e.g. "regret@3"
  Metric (*compute)(std::span<const double> scores, std::span<const double> truth, std::size_t k);
  std::size_t k;  // 0 for the correlations, which ignore it

  Metric operator()(std::span<const double> scores, std::span<const double> truth) const {
    return compute(scores, truth, k);
  }
};

// The metrics evaluate_transfer computes, in the order the CLI prints them:
// weighted_tau, kendall_tau_b, spearman, pearson, regret@1, regret@3, regret@5, ndcg@5,
// precision@3.
std::span<const RankingMetric> transfer_metrics();

struct TransferRow {
  std::string target;
  std::string source;
  double score = 0;  // predicted, e.g. LogME
  double truth = 0;  // measured, e.g. fine-tuning accuracy
  long line = 0;     // where the row came from (e.g. its CSV line) for messages; 0: its 1-based position
};

struct TargetEvaluation {
  std::string target;
  std::size_t n = 0;           // sources ranked; in TransferEvaluation::mean, the number of targets
  std::vector<Metric> values;  // values[i] belongs to transfer_metrics()[i]
};

struct TransferEvaluation {
  std::vector<TargetEvaluation> targets;  // in order of first appearance
  // target "mean": each metric averaged over the targets where it is defined (nullopt
  // when it is defined for none); n is the number of targets.
  TargetEvaluation mean;
};

// Throws InputError naming both rows when a (target, source) pair appears twice.
// Metrics of a target are undefined (nullopt) as ranking_metrics.hpp says, e.g. when one
// of its scores is NaN: drop failed sources before evaluating.
TransferEvaluation evaluate_transfer(std::span<const TransferRow> rows);

}  // namespace taskscout
