// Several rankers against one transfer table: per-target metrics through evaluate_transfer,
// means over targets, a paired percentile bootstrap over targets, and the random ranker's
// exact expectations. See ranker_comparison.hpp for the contracts.
#include "taskscout/eval/ranker_comparison.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "metric_input.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

bool any_nan(std::span<const double> v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}

std::vector<double> sorted_decreasing(std::span<const double> truth) {
  std::vector<double> y(truth.begin(), truth.end());
  std::sort(y.begin(), y.end(), std::greater<>());
  return y;
}

// Sizes of the runs of equal values in a sorted vector, in its order.
std::vector<std::size_t> tie_groups(const std::vector<double>& sorted) {
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < sorted.size();) {
    std::size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    sizes.push_back(j - i);
    i = j;
  }
  return sizes;
}

double sgn(double a, double b) { return static_cast<double>((a > b) - (a < b)); }

// ---- Weighted τ of a random order -----------------------------------------------------------
// weighted_tau = (A + B) / 2 with, for distinct scores x and truth y, rank weights
// w_r = 1/(r + 1) (r = 0 for the top), pair weights w_i + w_j, tot = (n − 1)·Σ w and V the
// weight of the pairs tied in truth:
//   A: ranks by score; A = Σ_pairs (w_i + w_j)·sgn(x_i − x_j)·sgn(y_i − y_j) / √(tot·(tot − V)).
//      V depends on which positions the tied truths land on.
//   B: ranks by truth, ties by score; B = the same sum / √(tot·(tot − U)), U (truth ties)
//      fixed because a tie group always occupies the same block of ranks.

// E[B] in closed form. A pair (i, j) from tie groups g below h has E[w_i·sgn] = α_g and
// E[w_j·sgn] = −α_h, where α_g = Σ_r (2r + 1 − m)·w(a_g + r) / (m(m + 1)) over the m ranks
// a_g … a_g + m − 1 of group g: which rank of its block i takes is coupled with whether j
// scores above it. Summing over pairs: Σ_g α_g·m_g·(above_g − below_g).
double random_tau_by_truth(const std::vector<std::size_t>& groups, const std::vector<double>& w, double tot) {
  const std::size_t n = w.size();
  double num = 0, u = 0;
  std::size_t start = 0;
  for (std::size_t m : groups) {
    double alpha = 0, block = 0;
    for (std::size_t r = 0; r < m; ++r) {
      alpha += (2.0 * static_cast<double>(r) + 1 - static_cast<double>(m)) * w[start + r];
      block += w[start + r];
    }
    alpha /= static_cast<double>(m) * static_cast<double>(m + 1);
    const double above = static_cast<double>(start), below = static_cast<double>(n - start - m);
    num += alpha * static_cast<double>(m) * (above - below);
    u += block * static_cast<double>(m - 1);
    start += m;
  }
  return num / std::sqrt(tot - u) / std::sqrt(tot);
}

// Per source (in decreasing truth order): the size of its tie group, and
// Σ_j sgn(y_i − y_j) = (#below) − (#above).
struct TieProfile {
  std::vector<double> size;
  std::vector<double> balance;
};

TieProfile tie_profile(const std::vector<std::size_t>& groups, std::size_t n) {
  TieProfile p;
  std::size_t start = 0;
  for (std::size_t m : groups) {
    for (std::size_t r = 0; r < m; ++r) {
      p.size.push_back(static_cast<double>(m));
      p.balance.push_back(static_cast<double>(n - start - m) - static_cast<double>(start));
    }
    start += m;
  }
  return p;
}

// E[A] exactly. Given which positions hold sources of which tie-group size (the
// "arrangement"), V is fixed, and the sources of one size are spread uniformly over that
// size's positions, so E[sgn(y_p − y_q) | arrangement] = δ(size_p, size_q), the mean of
// sgn(y_i − y_j) over sources i, j of those sizes (0 for equal sizes by symmetry). Every
// distinct arrangement is equally likely.
double random_tau_by_score_exact(std::span<const double> y, const TieProfile& p, const std::vector<double>& w,
                                 double tot) {
  const std::size_t n = y.size();
  std::vector<double> sizes(p.size);
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  const std::size_t classes = sizes.size();
  std::vector<std::size_t> cls(n);
  for (std::size_t i = 0; i < n; ++i)
    cls[i] = static_cast<std::size_t>(std::lower_bound(sizes.begin(), sizes.end(), p.size[i]) - sizes.begin());

  std::vector<double> delta(classes * classes, 0.0), pairs(classes * classes, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      delta[cls[i] * classes + cls[j]] += sgn(y[i], y[j]);
      pairs[cls[i] * classes + cls[j]] += 1;
    }
  for (std::size_t c = 0; c < delta.size(); ++c) delta[c] = pairs[c] > 0 ? delta[c] / pairs[c] : 0;

  std::vector<std::size_t> arrangement(cls);
  std::sort(arrangement.begin(), arrangement.end());
  std::vector<double> count(classes), weight(classes);
  double total = 0, arrangements = 0;
  do {
    std::fill(count.begin(), count.end(), 0.0);
    std::fill(weight.begin(), weight.end(), 0.0);
    double v = 0, num = 0;
    for (std::size_t q = 0; q < n; ++q) {
      const std::size_t c = arrangement[q];
      v += w[q] * (sizes[c] - 1);
      // Pairs (p, q), p < q: Σ_p (w_p + w_q)·δ(class_p, c).
      for (std::size_t s = 0; s < classes; ++s) num += delta[s * classes + c] * (weight[s] + w[q] * count[s]);
      count[c] += 1;
      weight[c] += w[q];
    }
    total += num / std::sqrt(tot - v);
    arrangements += 1;
  } while (std::next_permutation(arrangement.begin(), arrangement.end()));
  return total / arrangements / std::sqrt(tot);
}

// E[A] to second order in V − E[V]: with N the numerator, E[N] = 0 and
// 1/√(tot − V) = μ^{-1/2} + ½μ^{-3/2}ε + ⅜μ^{-5/2}ε² + …, ε = V − E[V], μ = tot − E[V].
// With b_i = (size_i − 1) − mean, positions p < q and exchangeability of the sources:
//   E[N·ε]  = κ₁·Σ_{p<q}(w_p² − w_q²),                κ₁ = Σ_{i≠j} sgn(y_i − y_j)·b_i / (n(n−1)),
//   E[N·ε²] = κ₂·P + 2κ₃·(W·Q − P),                   κ₂ = the same with b_i², κ₃ = −κ₂/(n − 2),
// Q = Σ_{p<q}(w_p² − w_q²), P = Σ_{p<q}(w_p + w_q)(w_p² − w_q²), W = Σ w. The next term is
// smaller by about sd(V)/μ, a few thousandths for 150 sources.
double random_tau_by_score_expansion(const TieProfile& p, const std::vector<double>& w, double tot) {
  const std::size_t n = w.size();
  const double nn = static_cast<double>(n);
  double mean_a = 0;
  for (double s : p.size) mean_a += s - 1;
  mean_a /= nn;
  double k1 = 0, k2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double b = p.size[i] - 1 - mean_a;
    k1 += p.balance[i] * b;
    k2 += p.balance[i] * b * b;
  }
  k1 /= nn * (nn - 1);
  k2 /= nn * (nn - 1);
  const double k3 = -k2 / (nn - 2);

  double W = 0, Q = 0, P = 0, s1 = 0, s2 = 0;  // s1, s2: Σ_{q>p} w_q, w_q²
  for (std::size_t i = n; i-- > 0;) {
    const double wp = w[i], lead = nn - 1 - 2 * static_cast<double>(i);
    W += wp;
    Q += wp * wp * lead;
    P += wp * wp * wp * lead + wp * wp * s1 - wp * s2;
    s1 += wp;
    s2 += wp * wp;
  }
  const double e1 = k1 * Q, e2 = k2 * P + 2 * k3 * (W * Q - P);
  const double mu = tot - W * mean_a;
  return (0.5 * std::pow(mu, -1.5) * e1 + 0.375 * std::pow(mu, -2.5) * e2) / std::sqrt(tot);
}

// Linear-interpolated quantile of sorted values (numpy.percentile's default).
double quantile(const std::vector<double>& sorted, double q) {
  const double h = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

std::string where(long line, std::size_t index) {
  return line > 0 ? fmt::format("line {}", line) : fmt::format("row {}", index + 1);
}

// A target none of whose sources this ranker scored: every metric undefined.
TargetEvaluation empty_target(const std::string& name) {
  TargetEvaluation t{name, 0, {}};
  for (const auto& m : transfer_metrics()) t.values.push_back(m({}, {}));
  return t;
}

}  // namespace

// Why the correlations of a random order are exactly 0 (scores x a uniformly random
// permutation of n distinct values, truth y fixed and not constant):
//   Pearson: the denominator depends only on the multisets of x and y; the numerator is
//     Σ_i (x_σ(i) − x̄)(y_i − ȳ), and E[x_σ(i)] = x̄ for every i.
//   Spearman: Pearson of the ranks; the ranks of x are a uniformly random permutation of
//     1…n, so the same argument holds.
//   Kendall τ-b: x has no ties, so the denominator √(n₀·(n₀ − n_y)) is fixed; the numerator is
//     Σ_{i<j} sgn(x_i − x_j)·sgn(y_i − y_j), and swapping the scores of i and j is a bijection
//     of the orders that flips sgn(x_i − x_j), so each term has mean 0.
//   Weighted τ without ties in y: both halves have a fixed normalization; ranked by score,
//     the two sources at any pair of positions are exchangeable; ranked by truth, the
//     weights are fixed and sgn(x_i − x_j) is symmetric. With ties in y it is not 0 (see
//     random_weighted_tau).
Metric random_correlation(std::span<const double> truth) {
  if (any_nan(truth) || truth.size() < 2) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(truth.begin(), truth.end());
  if (*lo == *hi) return std::nullopt;
  return 0.0;
}

Metric random_weighted_tau(std::span<const double> truth, double exact_budget) {
  if (!random_correlation(truth)) return std::nullopt;
  const std::size_t n = truth.size();
  const std::vector<double> y = sorted_decreasing(truth);
  const std::vector<std::size_t> groups = tie_groups(y);
  if (groups.size() == n) return 0.0;

  std::vector<double> w(n);
  double sum_w = 0;
  for (std::size_t r = 0; r < n; ++r) sum_w += w[r] = 1.0 / (1.0 + static_cast<double>(r));
  const double tot = static_cast<double>(n - 1) * sum_w;
  const TieProfile profile = tie_profile(groups, n);

  // Distinct arrangements of the group sizes over the positions: n! / Π_s (n_s)!.
  std::map<double, double> per_size;
  for (double s : profile.size) per_size[s] += 1;
  double log_count = std::lgamma(static_cast<double>(n) + 1);
  for (const auto& [size, count] : per_size) log_count -= std::lgamma(count + 1);
  const bool exact = exact_budget > 0 && log_count + std::log(static_cast<double>(n)) <= std::log(exact_budget) + 1e-9;
  const double by_score =
      exact ? random_tau_by_score_exact(y, profile, w, tot) : random_tau_by_score_expansion(profile, w, tot);
  return detail::finite_or_null((by_score + random_tau_by_truth(groups, w, tot)) / 2);
}

Metric random_regret_at_k(std::span<const double> truth, std::size_t k) {
  if (k == 0) throw UsageError("regret@k needs k ≥ 1");
  if (truth.empty() || any_nan(truth)) return std::nullopt;
  const std::vector<double> y = sorted_decreasing(truth);
  const double best = y.front();
  if (!(best > 0)) return std::nullopt;
  const std::size_t n = y.size(), top = std::min(k, n);
  // P(the subset's best is the i-th) for i = 1, 2, …: C(n−i, top−1)/C(n, top), by the ratio
  // of consecutive terms so that no binomial overflows.
  double p = static_cast<double>(top) / static_cast<double>(n), picked = 0;
  for (std::size_t i = 1; i <= n - top + 1; ++i) {
    picked += p * y[i - 1];
    if (i < n - top + 1) p *= static_cast<double>(n - i - top + 1) / static_cast<double>(n - i);
  }
  return detail::finite_or_null((best - picked) / best * 100);
}

Metric random_ndcg_at_k(std::span<const double> truth, std::size_t k) {
  if (k == 0) throw UsageError("ndcg@k needs k ≥ 1");
  if (truth.empty() || any_nan(truth)) return std::nullopt;
  const std::vector<double> y = sorted_decreasing(truth);
  const std::size_t top = std::min(k, y.size());
  // The same scaled gain as ndcg_at_k, so that large truths do not overflow.
  const double s = 100 * std::max(y.front(), 0.0);
  auto gain = [&](double t) { return std::exp2(100 * t - s) - std::exp2(-s); };
  double mean_gain = 0;
  for (double t : y) mean_gain += gain(t);
  mean_gain /= static_cast<double>(y.size());
  double dcg = 0, idcg = 0;
  for (std::size_t i = 0; i < top; ++i) {
    const double discount = std::log2(static_cast<double>(i) + 2);
    dcg += mean_gain / discount;
    idcg += gain(y[i]) / discount;
  }
  if (idcg == 0) return std::nullopt;
  return detail::finite_or_null(dcg / idcg * 100);
}

Metric random_precision_at_k(std::span<const double> truth, std::size_t k) {
  if (k == 0) throw UsageError("precision@k needs k ≥ 1");
  if (truth.empty() || any_nan(truth)) return std::nullopt;
  const std::vector<double> y = sorted_decreasing(truth);
  const double threshold = y[std::min(k, y.size()) - 1];
  // Each of the top positions holds a hit with probability m/n.
  const auto m = std::count_if(y.begin(), y.end(), [&](double t) { return t >= threshold; });
  return static_cast<double>(m) / static_cast<double>(y.size());
}

std::vector<Metric> random_ranker_metrics(std::span<const double> truth) {
  std::vector<Metric> out;
  for (const auto& m : transfer_metrics()) {
    const std::string_view name = m.name;
    if (name == "weighted_tau")
      out.push_back(random_weighted_tau(truth));
    else if (name == "kendall_tau_b" || name == "spearman" || name == "pearson")
      out.push_back(random_correlation(truth));
    else if (name.starts_with("regret@"))
      out.push_back(random_regret_at_k(truth, m.k));
    else if (name.starts_with("ndcg@"))
      out.push_back(random_ndcg_at_k(truth, m.k));
    else if (name.starts_with("precision@"))
      out.push_back(random_precision_at_k(truth, m.k));
    else
      throw InternalError(fmt::format("the random ranker has no expectation for metric '{}'", name));
  }
  return out;
}

std::vector<std::vector<std::size_t>> bootstrap_resamples(std::size_t targets, std::size_t resamples,
                                                          std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  // Uniform in [0, targets) without modulo bias: reject the lowest 2^64 mod targets values.
  auto draw = [&]() -> std::size_t {
    const std::uint64_t bound = targets, reject_below = (0 - bound) % bound;
    std::uint64_t r;
    do r = rng();
    while (r < reject_below);
    return static_cast<std::size_t>(r % bound);
  };
  std::vector<std::vector<std::size_t>> out(resamples, std::vector<std::size_t>(targets));
  if (targets == 0) return out;
  for (auto& sample : out)
    for (auto& index : sample) index = draw();
  return out;
}

TargetEvaluation mean_over_targets(std::span<const TargetEvaluation> targets) {
  const std::size_t metrics = transfer_metrics().size();
  TargetEvaluation mean{"mean", targets.size(), {}};
  for (std::size_t m = 0; m < metrics; ++m) {
    double sum = 0;
    std::size_t count = 0;
    for (const auto& t : targets)
      if (t.values.at(m)) {
        sum += *t.values[m];
        ++count;
      }
    mean.values.push_back(count ? Metric(sum / static_cast<double>(count)) : std::nullopt);
  }
  return mean;
}

std::vector<MetricInterval> bootstrap_intervals(std::span<const TargetEvaluation> targets,
                                                std::span<const std::vector<std::size_t>> resamples,
                                                double confidence) {
  if (!(confidence > 0 && confidence < 1))
    throw UsageError(fmt::format("confidence {} is not in (0, 1); give e.g. 0.95", confidence));
  const std::size_t metrics = transfer_metrics().size();
  std::vector<std::vector<double>> means(metrics);
  std::vector<double> multiplicity(targets.size());
  for (const auto& sample : resamples) {
    // Sum by target with multiplicity: one target drawn once gives its own value exactly.
    std::fill(multiplicity.begin(), multiplicity.end(), 0.0);
    for (std::size_t index : sample) multiplicity.at(index) += 1;
    for (std::size_t m = 0; m < metrics; ++m) {
      double sum = 0, count = 0;
      for (std::size_t t = 0; t < targets.size(); ++t)
        if (multiplicity[t] > 0 && targets[t].values.at(m)) {
          sum += multiplicity[t] * *targets[t].values[m];
          count += multiplicity[t];
        }
      if (count > 0) means[m].push_back(sum / count);
    }
  }
  std::vector<MetricInterval> out(metrics);
  for (std::size_t m = 0; m < metrics; ++m) {
    if (means[m].empty()) continue;
    std::sort(means[m].begin(), means[m].end());
    out[m] = {quantile(means[m], (1 - confidence) / 2), quantile(means[m], (1 + confidence) / 2)};
  }
  return out;
}

RankerComparison compare_rankers(std::span<const std::string> rankers, std::span<const ComparisonRow> rows,
                                 const ComparisonOptions& options) {
  if (rankers.empty() && !options.random)
    throw UsageError("no ranker to compare: give at least one score column, or ask for the random ranker");
  std::unordered_set<std::string_view> names;
  for (const auto& name : rankers) {
    if (name.empty()) throw UsageError("a ranker has an empty name; name every score column");
    if (!names.insert(name).second) throw UsageError(fmt::format("ranker '{}' is given twice; name it once", name));
  }
  if (options.random && names.contains(kRandomRanker))
    throw UsageError(
        fmt::format("a ranker is named '{}', which is the name of the random ranker; rename it", kRandomRanker));
  if (!(options.confidence > 0 && options.confidence < 1))
    throw UsageError(fmt::format("confidence {} is not in (0, 1); give e.g. 0.95", options.confidence));

  // Targets in order of first appearance; every (target, source) once.
  RankerComparison out;
  out.bootstrap = options.bootstrap;
  out.seed = options.seed;
  out.confidence = options.confidence;
  std::unordered_map<std::string, std::size_t> target_index;
  std::vector<std::vector<double>> truth_by_target;
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const ComparisonRow& row = rows[i];
    if (row.scores.size() != rankers.size())
      throw InputError(
          fmt::format("{} (target '{}', source '{}') has {} scores for {} rankers; give one per ranker, "
                      "NaN where a ranker has none",
                      where(row.line, i), row.target, row.source, row.scores.size(), rankers.size()));
    if (std::isnan(row.truth))
      throw InputError(
          fmt::format("{} (target '{}', source '{}') has no measured truth (NaN); measure it or drop the row",
                      where(row.line, i), row.target, row.source));
    auto [it, inserted] = seen.emplace(std::pair<std::string_view, std::string_view>(row.target, row.source), i);
    if (!inserted)
      throw InputError(fmt::format(
          "target '{}', source '{}' appears twice, at {} and {}; keep one measurement per (target, source) pair",
          row.target, row.source, where(rows[it->second].line, it->second), where(row.line, i)));
    auto [t, added] = target_index.emplace(row.target, out.targets.size());
    if (added) {
      out.targets.push_back(row.target);
      truth_by_target.emplace_back();
    }
    truth_by_target[t->second].push_back(row.truth);
  }

  const auto resamples = bootstrap_resamples(out.targets.size(), options.bootstrap, options.seed);
  auto finish = [&](RankerEvaluation& r) {
    r.mean = mean_over_targets(r.targets);
    r.ci = bootstrap_intervals(r.targets, resamples, options.confidence);
    out.rankers.push_back(std::move(r));
  };

  for (std::size_t k = 0; k < rankers.size(); ++k) {
    RankerEvaluation r;
    r.name = rankers[k];
    r.dropped_by_target.assign(out.targets.size(), 0);
    std::vector<TransferRow> kept;
    kept.reserve(rows.size());
    for (const auto& row : rows) {
      if (std::isnan(row.scores[k])) {
        ++r.dropped_by_target[target_index.at(row.target)];
        ++r.dropped;
      } else {
        kept.push_back({row.target, row.source, row.scores[k], row.truth, row.line});
      }
    }
    // evaluate_transfer lists only the targets that kept a source; put each in its place.
    TransferEvaluation ev = evaluate_transfer(kept);
    std::vector<std::optional<TargetEvaluation>> placed(out.targets.size());
    for (auto& t : ev.targets) placed[target_index.at(t.target)] = std::move(t);
    for (std::size_t t = 0; t < out.targets.size(); ++t)
      r.targets.push_back(placed[t] ? std::move(*placed[t]) : empty_target(out.targets[t]));
    finish(r);
  }

  if (options.random) {
    RankerEvaluation r;
    r.name = kRandomRanker;
    r.dropped_by_target.assign(out.targets.size(), 0);
    for (std::size_t t = 0; t < out.targets.size(); ++t)
      r.targets.push_back({out.targets[t], truth_by_target[t].size(), random_ranker_metrics(truth_by_target[t])});
    finish(r);
  }
  return out;
}

}  // namespace taskscout
