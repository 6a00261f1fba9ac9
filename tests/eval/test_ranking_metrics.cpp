// Ranking metrics on small hand-computed inputs, ties (against scipy), brute-force
// definitions, monotone invariance and the undefined cases.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <vector>

#include "expect_close.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/ranking_metrics.hpp"

namespace taskscout {
namespace {

using V = std::vector<double>;
using testing::close;

V random_grid(std::size_t n, int levels, std::mt19937& rng) {
  // Values on a coarse grid, so that ties are frequent and transforms stay exact.
  std::uniform_int_distribution<int> d(-levels, levels);
  V v(n);
  for (auto& x : v) x = d(rng) / 8.0;
  return v;
}

// Kendall τ-b by its definition, over all pairs.
double brute_kendall(const V& x, const V& y) {
  double s = 0, nx = 0, ny = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = i + 1; j < x.size(); ++j) {
      const double a = (x[i] > x[j]) - (x[i] < x[j]), b = (y[i] > y[j]) - (y[i] < y[j]);
      s += a * b;
      nx += a != 0;
      ny += b != 0;
    }
  return s / std::sqrt(nx * ny);
}

// One direction of scipy's weighted τ by its definition: the element ranked r-th by
// (x, then y, then position) decreasing weighs 1/(r+1), a pair weighs the sum of its two
// weights, τ = Σ W·sgn·sgn / √((Σ W − x-tied W)(Σ W − y-tied W)).
double brute_ranked_tau(const V& x, const V& y) {
  const std::size_t n = x.size();
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(),
            [&](std::size_t a, std::size_t b) { return std::tie(x[a], y[a], a) > std::tie(x[b], y[b], b); });
  V w(n);
  for (std::size_t r = 0; r < n; ++r) w[idx[r]] = 1.0 / (r + 1.0);
  double num = 0, tot = 0, xt = 0, yt = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      const double wij = w[i] + w[j];
      const double a = (x[i] > x[j]) - (x[i] < x[j]), b = (y[i] > y[j]) - (y[i] < y[j]);
      num += wij * a * b;
      tot += wij;
      xt += a == 0 ? wij : 0;
      yt += b == 0 ? wij : 0;
    }
  return num / std::sqrt(tot - xt) / std::sqrt(tot - yt);
}

TEST(RankingMetrics, HandComputedCorrelations) {
  const V s{1, 2, 3, 4}, t{1, 3, 2, 4};
  // 5 concordant, 1 discordant pair.
  EXPECT_TRUE(close(kendall_tau_b(s, t), 4.0 / 6.0));
  // Σd² = 2: 1 − 6·2/(4·15).
  EXPECT_TRUE(close(spearman(s, t), 0.8));
  EXPECT_TRUE(close(pearson(s, t), 0.8));
  // Weights 1, 1/2, 1/3, 1/4 by rank in either order; the discordant pair (ranks 1, 2)
  // weighs 1/2 + 1/3; all pairs weigh 3·(25/12): τ = 1 − 2·(5/6)/(25/4) = 11/15.
  EXPECT_TRUE(close(weighted_tau(s, t), 11.0 / 15.0));
}

TEST(RankingMetrics, HandComputedTopK) {
  // By score: source 0 (0.70), 1 (0.60), 3 (0.75), 2 (0.80).
  const V s{0.9, 0.8, 0.1, 0.5}, t{0.70, 0.60, 0.80, 0.75};
  EXPECT_TRUE(close(regret_at_k(s, t, 1), 12.5));
  EXPECT_TRUE(close(regret_at_k(s, t, 2), 12.5));
  EXPECT_TRUE(close(regret_at_k(s, t, 3), 6.25));
  EXPECT_TRUE(close(regret_at_k(s, t, 4), 0.0));
  EXPECT_TRUE(close(precision_at_k(s, t, 1), 0.0));
  EXPECT_TRUE(close(precision_at_k(s, t, 2), 0.0));
  EXPECT_TRUE(close(precision_at_k(s, t, 3), 2.0 / 3.0));
  EXPECT_TRUE(close(precision_at_k(s, t, 4), 1.0));
  // Gains 2^(100·t) − 1; the −1 is below double precision here.
  EXPECT_TRUE(close(ndcg_at_k(s, t, 1), 100.0 / 1024.0));
  const double l3 = std::log2(3.0);
  EXPECT_TRUE(
      close(ndcg_at_k(s, t, 2), (std::exp2(70) + std::exp2(60) / l3) / (std::exp2(80) + std::exp2(75) / l3) * 100));
}

TEST(RankingMetrics, TiesMatchScipy) {
  // Values from scipy 1.10.1 (Debian /usr/bin/python3): stats.kendalltau, weightedtau,
  // spearmanr, pearsonr on these vectors.
  struct Case {
    V s, t;
    double kendall, wtau, spearman, pearson;
  };
  const std::vector<Case> cases = {
      {{0.3, 0.1, 0.3, 0.7, 0.1, 0.5, 0.3, 0.9},
       {0.6, 0.2, 0.6, 0.8, 0.4, 0.4, 0.5, 0.8},  // ties in both, joint ties
       0.6531972647421809,
       0.7399350115870025,
       0.768810065632783,
       0.8068001483504835},
      {{1, 2, 2, 3, 3, 3, 4},
       {0.1, 0.5, 0.3, 0.2, 0.9, 0.6, 0.7},  // ties in scores
       0.5821817364274594,
       0.565931619771542,
       0.6923450994227357,
       0.6630198908950948},
      {{0.5, 0.1, 0.9, 0.3, 0.7, 0.2},
       {0.8, 0.8, 0.9, 0.7, 0.8, 0.7},  // ties in truth
       0.5449492609130661,
       0.7415909146618909,
       0.6172133998483678,
       0.7326950970650464},
      {{1, 2}, {5, 3}, -1.0, -1.0, -1.0, -1.0},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    EXPECT_TRUE(close(kendall_tau_b(c.s, c.t), c.kendall)) << "case " << i;
    EXPECT_TRUE(close(weighted_tau(c.s, c.t), c.wtau)) << "case " << i;
    EXPECT_TRUE(close(spearman(c.s, c.t), c.spearman)) << "case " << i;
    EXPECT_TRUE(close(pearson(c.s, c.t), c.pearson)) << "case " << i;
  }
}

TEST(RankingMetrics, TauMatchesPairwiseDefinitionWithHeavyTies) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const std::size_t n = 2 + trial * 17;
    const V s = random_grid(n, 1 + trial % 6, rng), t = random_grid(n, 1 + trial % 4, rng);
    const Metric k = kendall_tau_b(s, t), w = weighted_tau(s, t);
    if (!k) continue;  // a constant draw
    EXPECT_TRUE(close(k, brute_kendall(s, t))) << "n = " << n;
    EXPECT_TRUE(close(w, (brute_ranked_tau(s, t) + brute_ranked_tau(t, s)) / 2)) << "n = " << n;
  }
}

TEST(RankingMetrics, PerfectAndReversed) {
  const V t{0.61, 0.93, 0.72, 0.85, 0.55, 0.78};
  V rev(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) rev[i] = -t[i];
  for (const auto& f : {kendall_tau_b, weighted_tau, spearman, pearson}) {
    EXPECT_TRUE(close(f(t, t), 1.0));
    EXPECT_TRUE(close(f(rev, t), -1.0));
  }
  for (std::size_t k : {1, 3, 6}) {
    EXPECT_TRUE(close(regret_at_k(t, t, k), 0.0));
    EXPECT_TRUE(close(ndcg_at_k(t, t, k), 100.0));
    EXPECT_TRUE(close(precision_at_k(t, t, k), 1.0));
  }
  // Reversed: the top-1 pick is the worst source.
  EXPECT_TRUE(close(regret_at_k(rev, t, 1), (0.93 - 0.55) / 0.93 * 100));
  EXPECT_TRUE(close(precision_at_k(rev, t, 3), 0.0));
}

TEST(RankingMetrics, RankMetricsIgnoreMonotoneTransformsOfScores) {
  std::mt19937 rng(11);
  const V s = random_grid(60, 20, rng);
  V t(60);
  std::uniform_real_distribution<double> u(0.4, 0.95);
  for (auto& x : t) x = u(rng);
  const std::vector<std::function<double(double)>> transforms = {
      [](double x) { return 3 * x + 7; }, [](double x) { return std::exp(x); }, [](double x) { return x * x * x; },
      [](double x) { return std::atan(x); }};
  for (std::size_t f = 0; f < transforms.size(); ++f) {
    V m(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) m[i] = transforms[f](s[i]);
    EXPECT_EQ(kendall_tau_b(m, t), kendall_tau_b(s, t)) << "transform " << f;
    EXPECT_EQ(weighted_tau(m, t), weighted_tau(s, t)) << "transform " << f;
    EXPECT_EQ(spearman(m, t), spearman(s, t)) << "transform " << f;
    for (std::size_t k : {1, 3, 5}) {
      EXPECT_EQ(regret_at_k(m, t, k), regret_at_k(s, t, k)) << "transform " << f;
      EXPECT_EQ(ndcg_at_k(m, t, k), ndcg_at_k(s, t, k)) << "transform " << f;
      EXPECT_EQ(precision_at_k(m, t, k), precision_at_k(s, t, k)) << "transform " << f;
    }
  }
  // Pearson is not a rank metric.
  V e(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) e[i] = std::exp(s[i]);
  EXPECT_NE(pearson(e, t), pearson(s, t));
}

TEST(RankingMetrics, KLargerThanNMeansAll) {
  const V s{0.2, 0.9, 0.4}, t{0.8, 0.5, 0.7};
  EXPECT_EQ(regret_at_k(s, t, 10), regret_at_k(s, t, 3));
  EXPECT_EQ(ndcg_at_k(s, t, 10), ndcg_at_k(s, t, 3));
  EXPECT_TRUE(close(precision_at_k(s, t, 10), 1.0));  // all of them, divided by n
  EXPECT_TRUE(close(regret_at_k(s, t, 10), 0.0));
}

TEST(RankingMetrics, EqualScoresKeepInputOrder) {
  // Sources 0 and 1 tie on score; source 0 comes first and is the top-1 pick.
  const V s{1, 1, 0}, t{0.5, 0.9, 0.1};
  EXPECT_TRUE(close(regret_at_k(s, t, 1), (0.9 - 0.5) / 0.9 * 100));
  const V swapped_t{0.9, 0.5, 0.1};
  EXPECT_TRUE(close(regret_at_k(s, swapped_t, 1), 0.0));
}

TEST(RankingMetrics, PrecisionCountsSourcesTiedWithTheKthBestTruth) {
  // The two picks (sources 3, 2) are both as good as the 2nd best truth (0.8).
  const V s{0, 1, 2, 3}, t{0.5, 0.8, 0.8, 0.8};
  EXPECT_TRUE(close(precision_at_k(s, t, 2), 1.0));
  EXPECT_TRUE(close(precision_at_k(s, V{0.9, 0.8, 0.8, 0.5}, 2), 0.5));
}

TEST(RankingMetrics, NdcgDoesNotOverflowForPercentTruths) {
  // 2^(100·90) overflows a double; the ratio (2^8000 − 1)/(2^9000 − 1) does not.
  const V s{0, 1}, t{90, 80};
  EXPECT_TRUE(close(ndcg_at_k(s, t, 1), std::exp2(-1000.0) * 100));
  EXPECT_TRUE(close(ndcg_at_k(t, t, 2), 100.0));
}

TEST(RankingMetrics, UndefinedCases) {
  const V empty, one{0.5}, c{0.3, 0.3, 0.3}, t{0.7, 0.8, 0.6};
  for (const auto& f : {kendall_tau_b, weighted_tau, spearman, pearson}) {
    EXPECT_EQ(f(empty, empty), std::nullopt);
    EXPECT_EQ(f(one, one), std::nullopt);
    EXPECT_EQ(f(c, t), std::nullopt);  // constant scores
    EXPECT_EQ(f(t, c), std::nullopt);  // constant truth
    EXPECT_EQ(f(V{0.1, NAN, 0.3}, t), std::nullopt);
    EXPECT_EQ(f(t, V{0.1, 0.2, NAN}), std::nullopt);
  }
  for (const auto& f : {regret_at_k, ndcg_at_k, precision_at_k}) {
    EXPECT_EQ(f(empty, empty, 1), std::nullopt);
    EXPECT_EQ(f(V{0.1, NAN, 0.3}, t, 1), std::nullopt);
    EXPECT_EQ(f(t, V{0.1, 0.2, NAN}, 1), std::nullopt);
  }
  // Constant scores still give a (input-order) top-k; constant truth is a perfect pick.
  EXPECT_TRUE(close(regret_at_k(c, t, 1), (0.8 - 0.7) / 0.8 * 100));
  EXPECT_TRUE(close(regret_at_k(t, c, 1), 0.0));
  EXPECT_TRUE(close(ndcg_at_k(t, c, 2), 100.0));
  EXPECT_TRUE(close(precision_at_k(t, c, 2), 1.0));
  // One source: a perfect pick.
  EXPECT_TRUE(close(regret_at_k(one, one, 5), 0.0));
  // Regret is relative to the best truth, so it needs a positive one; NDCG needs a
  // nonzero ideal DCG.
  EXPECT_EQ(regret_at_k(t, V{0, 0, 0}, 1), std::nullopt);
  EXPECT_EQ(regret_at_k(t, V{-0.2, -0.1, -0.3}, 1), std::nullopt);
  EXPECT_EQ(ndcg_at_k(t, V{0, 0, 0}, 1), std::nullopt);
  // Infinite scores are just ordered: 1 concordant, 2 discordant pairs.
  EXPECT_TRUE(close(kendall_tau_b(V{-INFINITY, 1, INFINITY}, t), -1.0 / 3.0));
}

TEST(RankingMetrics, BadArgumentsThrow) {
  const V a{1, 2, 3}, b{1, 2};
  for (const auto& f : {kendall_tau_b, weighted_tau, spearman, pearson}) EXPECT_THROW(f(a, b), InputError);
  for (const auto& f : {regret_at_k, ndcg_at_k, precision_at_k}) {
    EXPECT_THROW(f(a, b, 1), InputError);
    EXPECT_THROW(f(a, a, 0), UsageError);
  }
}

}  // namespace
}  // namespace taskscout
