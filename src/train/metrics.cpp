#include "taskscout/train/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

template <class T>
void check_sizes(std::span<const T> a, std::span<const T> b) {
  if (a.size() != b.size())
    throw UsageError(fmt::format("a metric needs as many predictions as labels, not {} and {}", a.size(), b.size()));
  if (a.empty()) throw UsageError("a metric needs at least one prediction");
}

// Ranks from 1, ties sharing their average rank.
std::vector<double> average_ranks(std::span<const double> v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return v[i] < v[j]; });
  std::vector<double> ranks(v.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    while (end + 1 < order.size() && v[order[end + 1]] == v[order[start]]) ++end;
    const double rank = (static_cast<double>(start + end) / 2.0) + 1.0;
    for (std::size_t k = start; k <= end; ++k) ranks[order[k]] = rank;
    start = end + 1;
  }
  return ranks;
}

}  // namespace

double accuracy(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth) {
  check_sizes(predicted, truth);
  std::size_t right = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) right += predicted[i] == truth[i];
  return static_cast<double>(right) / static_cast<double>(truth.size());
}

double macro_f1(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth) {
  check_sizes(predicted, truth);
  struct Counts {
    double tp = 0, fp = 0, fn = 0;
  };
  std::map<std::int64_t, Counts> per_class;  // the union of true and predicted labels, as sklearn
  for (std::size_t i = 0; i < truth.size(); ++i) {
    if (predicted[i] == truth[i]) {
      per_class[truth[i]].tp += 1;
    } else {
      per_class[predicted[i]].fp += 1;
      per_class[truth[i]].fn += 1;
    }
  }
  double sum = 0;
  for (const auto& [label, c] : per_class) {
    const double denominator = 2 * c.tp + c.fp + c.fn;
    sum += denominator == 0 ? 0 : 2 * c.tp / denominator;
  }
  return sum / static_cast<double>(per_class.size());
}

double pearson_correlation(std::span<const double> a, std::span<const double> b) {
  check_sizes(a, b);
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (saa == 0 || sbb == 0) return std::numeric_limits<double>::quiet_NaN();
  return sab / std::sqrt(saa * sbb);
}

double spearman_correlation(std::span<const double> a, std::span<const double> b) {
  check_sizes(a, b);
  const std::vector<double> ra = average_ranks(a), rb = average_ranks(b);
  return pearson_correlation(ra, rb);
}

double mean_squared_error(std::span<const double> predicted, std::span<const double> truth) {
  check_sizes(predicted, truth);
  double s = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) s += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
  return s / static_cast<double>(truth.size());
}

double Metrics::get(const std::string& name) const {
  for (const auto& [n, v] : values)
    if (n == name) return v;
  return std::numeric_limits<double>::quiet_NaN();
}

Metrics classification_metrics(std::span<const std::int64_t> predicted, std::span<const std::int64_t> truth) {
  return {{{"accuracy", accuracy(predicted, truth)}, {"macro_f1", macro_f1(predicted, truth)}}};
}

Metrics regression_metrics(std::span<const double> predicted, std::span<const double> truth) {
  return {{{"pearson", pearson_correlation(predicted, truth)},
           {"spearman", spearman_correlation(predicted, truth)},
           {"mse", mean_squared_error(predicted, truth)}}};
}

}  // namespace taskscout
