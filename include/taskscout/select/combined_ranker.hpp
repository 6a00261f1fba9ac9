#pragma once
// The combined ranker: a weighted sum of cheap signals, learned on a measured transfer
// matrix (TransferGraph-style: a small regression over the rankers' scores).
//
// Each signal is first standardized within the target's pool — its scores minus their
// mean, over their standard deviation — because a ranking only needs each signal's order
// and spread within one target, and raw scales differ between targets (LogME of a 2-class
// and a 20-class target are not comparable). The combined score of a source is
// Σ_f w_f · z_f. The weights are fitted by ridge regression of the truth, standardized
// within each target the same way, on every (target, source) pair of the training targets.
//
// A source missing a signal (skipped by that method) gets no combined score.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace taskscout {

struct CombinedRanker {
  std::vector<std::string> features;  // rank method names
  std::vector<double> weights;        // one per feature
  double ridge = 1.0;                 // the L2 penalty the weights were fitted with
  std::string fitted_on;              // what matrix, for provenance

  // The default: fitted on the 12-task matrix of bench/transfer-12 (see bench/RESULTS.md).
  static CombinedRanker builtin();
  // A file written by save(); InputError naming the file when it is not one.
  static CombinedRanker load(const std::filesystem::path& file);
  void save(const std::filesystem::path& file) const;

  // Combined scores of one target's pool: signals[f][i] is feature f's score of source i
  // (NaN: not scored). A source with any NaN gets NaN; a feature constant over the pool
  // contributes nothing.
  std::vector<double> score(const std::vector<std::vector<double>>& signals) const;
};

// One target's pool for fitting: signals[f][i] as in score(), truth[i] measured.
struct CombinedTrainingTarget {
  std::string target;
  std::vector<std::vector<double>> signals;
  std::vector<double> truth;
};

// Ridge fit over every pair of every target (sources with a NaN signal left out).
// UsageError when no target has two complete sources.
CombinedRanker fit_combined_ranker(const std::vector<std::string>& features,
                                   std::span<const CombinedTrainingTarget> targets, double ridge = 1.0);

// z-scores of `values` (NaN kept as NaN; all 0 when the finite values are constant).
std::vector<double> standardize(std::span<const double> values);

}  // namespace taskscout
