#pragma once
// How well a ranking of sources (predicted scores) agrees with their measured transfer
// performance (truth). One value per source in both vectors; higher is better for both.
//
// Undefined values. A metric returns std::nullopt — printed as JSON null (and an empty
// CSV cell) — when it is undefined:
//   - any score or truth is NaN (as scipy's nan_policy='propagate');
//   - correlations: n < 2, or scores or truth constant (scipy returns NaN there);
//   - top-k metrics: n = 0; regret also when the best truth is ≤ 0 (it is relative to
//     it); ndcg also when the ideal DCG is 0;
//   - any result that is not finite (e.g. pearson of values near ±1e308).
// Infinite inputs are ordered like any other value by the rank-based metrics.
//
// Top-k order. Sources are taken by decreasing score; equal scores keep input order
// (a stable sort, numpy's argsort(-scores, kind='stable')). k larger than n means all n.
// k = 0 throws UsageError; vectors of different lengths throw InputError.
#include <cstddef>
#include <optional>
#include <span>

namespace taskscout {

using Metric = std::optional<double>;

// Kendall's τ-b, as scipy.stats.kendalltau (ties in either vector reduce the
// denominator). O(n log n): merge-sort count of discordant pairs.
Metric kendall_tau_b(std::span<const double> scores, std::span<const double> truth);

// Additive hyperbolic weighted τ, exactly scipy.stats.weightedtau(scores, truth) with its
// defaults: the mean of the weighted τ ranked by (scores, then truth) and by (truth, then
// scores), the element of rank r (0 = highest) weighing 1/(r+1), ties as scipy handles
// them. O(n log n).
Metric weighted_tau(std::span<const double> scores, std::span<const double> truth);

// Spearman's ρ: Pearson's r of the average ranks (scipy.stats.spearmanr).
Metric spearman(std::span<const double> scores, std::span<const double> truth);

// Pearson's r, as scipy.stats.pearsonr (n = 2 gives ±1).
Metric pearson(std::span<const double> scores, std::span<const double> truth);

// (best truth − best truth among the top-k by score) / best truth · 100. 0 is perfect.
Metric regret_at_k(std::span<const double> scores, std::span<const double> truth, std::size_t k);

// NDCG@k · 100 with gain 2^(100·truth) − 1 and discount log2(i + 1), i = 1 for the top
// source: DCG of the top-k by score over the DCG of the k best truths. 100 is perfect.
Metric ndcg_at_k(std::span<const double> scores, std::span<const double> truth, std::size_t k);

// The fraction of the top-k by score whose truth is at least the k-th best truth, i.e.
// |top-k by score ∩ top-k by truth| / k when truth has no ties; with ties, a source tied
// with the k-th best truth counts as a hit (no arbitrary tie order). k > n divides by n.
// 1 is perfect.
Metric precision_at_k(std::span<const double> scores, std::span<const double> truth, std::size_t k);

}  // namespace taskscout
