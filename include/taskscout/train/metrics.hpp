#pragma once
// Evaluation metrics of a fine-tuned model: accuracy and macro-F1 for classification
// (sklearn's definitions: F1 per class present in the truth or the predictions, 0 where
// precision and recall are both 0, then the unweighted mean); Pearson, Spearman (Pearson
// of average ranks, as scipy) and MSE for regression.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace taskscout {

double accuracy(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth);
double macro_f1(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth);
// NaN when either side is constant. (Named apart from eval's ranking metrics, a layer above.)
double pearson_correlation(std::span<const double> a, std::span<const double> b);
double spearman_correlation(std::span<const double> a, std::span<const double> b);
double mean_squared_error(std::span<const double> predicted, std::span<const double> truth);

// Named metric values in a fixed order; the first is the one early stopping watches
// (accuracy, or Pearson for regression), and higher is better for it.
struct Metrics {
  std::vector<std::pair<std::string, double>> values;

  const std::string& main_name() const { return values.front().first; }
  double main() const { return values.front().second; }
  double get(const std::string& name) const;  // NaN when absent
};

Metrics classification_metrics(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth);
Metrics regression_metrics(std::span<const double> predicted, std::span<const double> truth);

}  // namespace taskscout
