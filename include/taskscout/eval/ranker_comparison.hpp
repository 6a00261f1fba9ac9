#pragma once
// Compares several rankers against one measured transfer table: rows of (target, source,
// one score per ranker, truth). For every ranker: the metrics of each target (as
// evaluate_transfer computes them), their mean over targets, and a bootstrap confidence
// interval for each mean. Optionally the "random" ranker, whose per-target values are the
// expectations over all orders of the sources, computed (not sampled): exactly, except
// weighted τ on large targets with tied truth (see random_weighted_tau).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/eval/ranking_metrics.hpp"
#include "taskscout/eval/transfer_table.hpp"

namespace taskscout {

// The name of the random ranker's row.
inline constexpr std::string_view kRandomRanker = "random";

// ---- The random ranker, exactly ---------------------------------------------------------
// The expected value of a metric when the sources of one target are put in a uniformly
// random order (every one of the n! orders equally likely, no ties among the scores)
// against the given truth. Undefined (nullopt) where the metric is undefined for every
// order: NaN in truth, n = 0, n < 2 or constant truth for correlations, best truth ≤ 0
// for regret, ideal DCG = 0 for NDCG. k = 0 throws UsageError, like the metrics.

// Kendall τ-b, Spearman and Pearson: exactly 0 whenever defined (see the .cpp).
Metric random_correlation(std::span<const double> truth);

// Weighted τ (as weighted_tau). 0 when truth has no ties. With ties it is not 0 (e.g.
// −0.028 for truth {1, 1, 2}; 0.001–0.007 on the TransferGraph targets): scipy's weighted
// τ averages the τ weighted by the score order with the τ weighted by the (truth, score)
// order; tied truths shift weight within their block in the second and change the
// normalization of the first with where they land. The second half is exact in closed
// form. The first half is exact by enumerating the distinct arrangements of tie-group
// sizes over the positions (n! / Π_s n_s!, n_s = sources in groups of size s) when that
// count times n is at most `exact_budget` (the default covers every n ≤ 9 and, e.g., 20
// sources with 10 tied); beyond it, a deterministic second-order expansion of its
// normalization in the tied weight. The expansion is within 1e-6 of the exact value for
// 13 sources and 1e-5 for 20 sources with 10 tied (tested); the neglected term shrinks
// with n (estimated ≤ 1e-8 on the 150-source TransferGraph targets). exact_budget = 0
// always expands; infinity always enumerates.
Metric random_weighted_tau(std::span<const double> truth, double exact_budget = 4e6);

// Regret@k: the top k of a random order is a uniformly random k-subset, whose best truth
// is the i-th best overall (truth sorted decreasing, ties in any order: they have the
// same value) with probability C(n − i, k − 1) / C(n, k).
Metric random_regret_at_k(std::span<const double> truth, std::size_t k);

// NDCG@k: every position holds the mean gain in expectation, and the ideal DCG does not
// depend on the order.
Metric random_ndcg_at_k(std::span<const double> truth, std::size_t k);

// Precision@k (with ties as precision_at_k defines it): m / n, where m counts the sources
// whose truth reaches the min(k, n)-th best truth.
Metric random_precision_at_k(std::span<const double> truth, std::size_t k);

// The random ranker's value for each of transfer_metrics(), in that order. Throws
// std::logic_error for a metric it does not know (a metric added to the table without its
// expectation here).
std::vector<Metric> random_ranker_metrics(std::span<const double> truth);

// ---- Bootstrap over targets ---------------------------------------------------------------
struct MetricInterval {
  Metric lo, hi;  // nullopt when no resample has the metric defined (or no resamples)
};

// Resamples of the targets: `resamples` vectors of `targets` indices drawn uniformly with
// replacement from [0, targets), from a std::mt19937_64 seeded with `seed` and an exact
// (rejection) integer draw, so the same seed gives the same resamples on every platform.
std::vector<std::vector<std::size_t>> bootstrap_resamples(std::size_t targets, std::size_t resamples,
                                                          std::uint64_t seed);

// The mean of each metric over the targets where it is defined (nullopt where none),
// n = the number of targets: evaluate_transfer's "mean" row for given per-target rows.
TargetEvaluation mean_over_targets(std::span<const TargetEvaluation> targets);

// Percentile bootstrap interval of each metric's mean: for every resample, the mean over
// its drawn targets (with multiplicity) where the metric is defined — a resample where it
// is defined for none is left out — then the (1 − confidence)/2 and (1 + confidence)/2
// quantiles of those means, linearly interpolated (numpy's default percentile). Each
// target's values must have transfer_metrics().size() entries.
std::vector<MetricInterval> bootstrap_intervals(std::span<const TargetEvaluation> targets,
                                                std::span<const std::vector<std::size_t>> resamples,
                                                double confidence = 0.95);

// ---- The comparison ------------------------------------------------------------------------
struct ComparisonRow {
  std::string target;
  std::string source;
  std::vector<double> scores;  // one per ranker, in the order of the ranker names; NaN = missing
  double truth = 0;            // measured, e.g. fine-tuning accuracy; must not be NaN
  long line = 0;               // where the row came from, for messages; 0: its 1-based position
};

struct ComparisonOptions {
  bool random = false;           // add the random ranker (named kRandomRanker) last
  std::size_t bootstrap = 2000;  // resamples of the targets; 0: no intervals (all nullopt)
  std::uint64_t seed = 0;        // of the resamples
  double confidence = 0.95;      // of the intervals, in (0, 1)
};

struct RankerEvaluation {
  std::string name;
  // One per target, in the comparison's target order. n counts the sources ranked, after
  // the ones without a score (NaN) for this ranker were dropped.
  std::vector<TargetEvaluation> targets;
  std::vector<std::size_t> dropped_by_target;  // sources dropped for a NaN score, per target
  std::size_t dropped = 0;                     // their sum
  TargetEvaluation mean;                       // as mean_over_targets(targets)
  std::vector<MetricInterval> ci;              // one per transfer_metrics() entry
};

struct RankerComparison {
  std::vector<std::string> targets;       // in order of first appearance
  std::vector<RankerEvaluation> rankers;  // in the order of the names given, then "random"
  std::size_t bootstrap = 0;
  std::uint64_t seed = 0;
  double confidence = 0.95;
};

// Evaluates every ranker against the truth, target by target. A source whose score is NaN
// for one ranker is dropped for that ranker on that target only, and counted in dropped.
// All rankers share the same resamples of the targets (a paired bootstrap), so their
// intervals are comparable and the result depends on the seed only.
// Throws UsageError for no ranker while options.random is unset, an empty or repeated
// ranker name, "random" given as a name while options.random is set, or a confidence out
// of (0, 1); InputError (naming the row) for a row whose number of scores differs from the
// number of rankers, a NaN truth, or a (target, source) pair that appears twice.
RankerComparison compare_rankers(std::span<const std::string> rankers, std::span<const ComparisonRow> rows,
                                 const ComparisonOptions& options = {});

}  // namespace taskscout
