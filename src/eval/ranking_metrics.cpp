// Correlations (Kendall τ-b, Spearman, Pearson) and top-k metrics (regret, NDCG,
// precision). Formulas follow scipy.stats where one exists; see ranking_metrics.hpp for
// the definitions and undefined cases. Weighted τ lives in weighted_tau.cpp.
#include "taskscout/eval/ranking_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

#include "metric_input.hpp"

namespace taskscout {

namespace {

// Σ len·(len − 1)/2 over the runs of consecutive positions i for which same(i − 1, i).
template <class Same>
std::int64_t tied_pairs(std::size_t n, Same same) {
  std::int64_t pairs = 0, run = 1;
  for (std::size_t i = 1; i <= n; ++i) {
    if (i < n && same(i - 1, i)) {
      ++run;
    } else {
      pairs += run * (run - 1) / 2;
      run = 1;
    }
  }
  return pairs;
}

// Sorts v[lo, hi) ascending and returns the number of pairs i < j with v[i] > v[j].
std::int64_t sort_count_inversions(std::vector<double>& v, std::vector<double>& buf, std::size_t lo, std::size_t hi) {
  if (hi - lo < 2) return 0;
  const std::size_t mid = lo + (hi - lo) / 2;
  std::int64_t inv = sort_count_inversions(v, buf, lo, mid) + sort_count_inversions(v, buf, mid, hi);
  std::size_t i = lo, j = mid, o = lo;
  while (i < mid && j < hi) {
    if (v[i] <= v[j]) {
      buf[o++] = v[i++];
    } else {
      inv += static_cast<std::int64_t>(mid - i);  // v[j] is below every v[i..mid)
      buf[o++] = v[j++];
    }
  }
  while (i < mid) buf[o++] = v[i++];
  while (j < hi) buf[o++] = v[j++];
  std::copy(buf.begin() + lo, buf.begin() + hi, v.begin() + lo);
  return inv;
}

// 1-based ranks, ties given the mean of the ranks they span (scipy.stats.rankdata).
std::vector<double> average_ranks(std::span<const double> v) {
  std::vector<std::size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> ranks(v.size());
  for (std::size_t first = 0; first < idx.size();) {
    std::size_t last = first + 1;
    while (last < idx.size() && v[idx[last]] == v[idx[first]]) ++last;
    const double rank = 0.5 * static_cast<double>(first + 1 + last);
    for (std::size_t i = first; i < last; ++i) ranks[idx[i]] = rank;
    first = last;
  }
  return ranks;
}

bool is_constant(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x == v[0]; });
}

double mean(std::span<const double> v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sign(double v) { return static_cast<double>((v > 0) - (v < 0)); }

// Source indices by decreasing score, equal scores in input order.
std::vector<std::size_t> by_score(std::span<const double> scores) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Checks shared by the top-k metrics; false when the metric is undefined.
bool top_k_defined(std::span<const double> scores, std::span<const double> truth, std::size_t k, const char* name) {
  if (k == 0) throw UsageError(fmt::format("{}@k needs k ≥ 1", name));
  return !detail::has_nan(scores, truth) && !scores.empty();
}

}  // namespace

Metric kendall_tau_b(std::span<const double> scores, std::span<const double> truth) {
  if (detail::has_nan(scores, truth) || scores.size() < 2) return std::nullopt;
  const std::size_t n = scores.size();
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    return scores[a] < scores[b] || (scores[a] == scores[b] && truth[a] < truth[b]);
  });
  auto x = [&](std::size_t i) { return scores[idx[i]]; };
  auto y = [&](std::size_t i) { return truth[idx[i]]; };
  const std::int64_t xtie = tied_pairs(n, [&](std::size_t a, std::size_t b) { return x(a) == x(b); });
  const std::int64_t ntie = tied_pairs(n, [&](std::size_t a, std::size_t b) { return x(a) == x(b) && y(a) == y(b); });

  // Within equal scores truth is ascending, so the inversions left are the discordant pairs.
  std::vector<double> ys(n), buf(n);
  for (std::size_t i = 0; i < n; ++i) ys[i] = y(i);
  const std::int64_t dis = sort_count_inversions(ys, buf, 0, n);
  const std::int64_t ytie = tied_pairs(n, [&](std::size_t a, std::size_t b) { return ys[a] == ys[b]; });

  const std::int64_t tot = static_cast<std::int64_t>(n) * static_cast<std::int64_t>(n - 1) / 2;
  if (xtie == tot || ytie == tot) return std::nullopt;
  // tot = concordant + discordant + xtie + ytie − ntie
  const double con_minus_dis = static_cast<double>(tot - xtie - ytie + ntie - 2 * dis);
  const double tau =
      con_minus_dis / std::sqrt(static_cast<double>(tot - xtie)) / std::sqrt(static_cast<double>(tot - ytie));
  return std::min(1.0, std::max(-1.0, tau));
}

Metric pearson(std::span<const double> scores, std::span<const double> truth) {
  if (detail::has_nan(scores, truth) || scores.size() < 2) return std::nullopt;
  if (is_constant(scores) || is_constant(truth)) return std::nullopt;
  const std::size_t n = scores.size();
  if (n == 2) return sign(scores[1] - scores[0]) * sign(truth[1] - truth[0]);  // as scipy

  const double mx = mean(scores), my = mean(truth);
  double sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxx += (scores[i] - mx) * (scores[i] - mx);
    syy += (truth[i] - my) * (truth[i] - my);
  }
  const double nx = std::sqrt(sxx), ny = std::sqrt(syy);
  double r = 0;
  for (std::size_t i = 0; i < n; ++i) r += (scores[i] - mx) / nx * ((truth[i] - my) / ny);
  return detail::finite_or_null(std::min(1.0, std::max(-1.0, r)));
}

Metric spearman(std::span<const double> scores, std::span<const double> truth) {
  if (detail::has_nan(scores, truth) || scores.size() < 2) return std::nullopt;
  const std::vector<double> rx = average_ranks(scores), ry = average_ranks(truth);
  return pearson(rx, ry);
}

Metric regret_at_k(std::span<const double> scores, std::span<const double> truth, std::size_t k) {
  if (!top_k_defined(scores, truth, k, "regret")) return std::nullopt;
  const double best = *std::max_element(truth.begin(), truth.end());
  if (!(best > 0)) return std::nullopt;  // relative to the best: needs a positive one
  const std::vector<std::size_t> order = by_score(scores);
  const std::size_t top = std::min(k, order.size());
  double picked = truth[order[0]];
  for (std::size_t i = 1; i < top; ++i) picked = std::max(picked, truth[order[i]]);
  return detail::finite_or_null((best - picked) / best * 100);
}

Metric ndcg_at_k(std::span<const double> scores, std::span<const double> truth, std::size_t k) {
  if (!top_k_defined(scores, truth, k, "ndcg")) return std::nullopt;
  const std::vector<std::size_t> order = by_score(scores);
  const std::size_t top = std::min(k, order.size());
  // Gains scaled by 2^-s (s = 100·best truth, if positive) so that truths past ~10
  // (percentages) do not overflow; the ratio is unchanged.
  const double best = *std::max_element(truth.begin(), truth.end());
  const double s = 100 * std::max(best, 0.0);
  auto gain = [&](double t) { return std::exp2(100 * t - s) - std::exp2(-s); };

  std::vector<double> ideal(truth.begin(), truth.end());
  std::partial_sort(ideal.begin(), ideal.begin() + static_cast<std::ptrdiff_t>(top), ideal.end(), std::greater<>());
  double dcg = 0, idcg = 0;
  for (std::size_t i = 0; i < top; ++i) {
    const double discount = std::log2(static_cast<double>(i) + 2);
    dcg += gain(truth[order[i]]) / discount;
    idcg += gain(ideal[i]) / discount;
  }
  if (idcg == 0) return std::nullopt;
  return detail::finite_or_null(dcg / idcg * 100);
}

Metric precision_at_k(std::span<const double> scores, std::span<const double> truth, std::size_t k) {
  if (!top_k_defined(scores, truth, k, "precision")) return std::nullopt;
  const std::vector<std::size_t> order = by_score(scores);
  const std::size_t top = std::min(k, order.size());
  std::vector<double> sorted(truth.begin(), truth.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(top - 1), sorted.end(),
                   std::greater<>());
  const double threshold = sorted[top - 1];  // the top-th best truth
  std::size_t hits = 0;
  for (std::size_t i = 0; i < top; ++i) hits += truth[order[i]] >= threshold;
  return static_cast<double>(hits) / static_cast<double>(top);
}

}  // namespace taskscout
