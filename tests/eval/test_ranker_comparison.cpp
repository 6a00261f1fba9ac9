// Comparing rankers: the random ranker's exact expectations (against brute force over all
// n! orders, and against the numpy/scipy oracle's fixture), the bootstrap over targets, and
// per-ranker dropping of missing scores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "expect_close.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/ranker_comparison.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

using V = std::vector<double>;
using testing::close;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The transfer metrics plus other k, all compared with the random ranker below.
std::vector<RankingMetric> metrics_to_check() {
  std::vector<RankingMetric> out(transfer_metrics().begin(), transfer_metrics().end());
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (std::size_t k : {1, 2, 3, 4, 5, 6, 7, 8, 9}) {
      v.push_back("regret@" + std::to_string(k));
      v.push_back("ndcg@" + std::to_string(k));
      v.push_back("precision@" + std::to_string(k));
    }
    return v;
  }();
  for (std::size_t i = 0; i < names.size(); i += 3) {
    const std::size_t k = i / 3 + 1;
    out.push_back({names[i], regret_at_k, k});
    out.push_back({names[i + 1], ndcg_at_k, k});
    out.push_back({names[i + 2], precision_at_k, k});
  }
  return out;
}

// The random ranker's value for one metric, by its name.
Metric random_value(std::string_view name, std::size_t k, const V& truth) {
  if (name == "weighted_tau") return random_weighted_tau(truth);
  if (name.starts_with("regret@")) return random_regret_at_k(truth, k);
  if (name.starts_with("ndcg@")) return random_ndcg_at_k(truth, k);
  if (name.starts_with("precision@")) return random_precision_at_k(truth, k);
  return random_correlation(truth);
}

// The mean of a metric over all n! orders of the sources (scores: a permutation of 0…n−1),
// computed with the metric itself. Undefined must mean undefined for every order.
Metric brute_force(const RankingMetric& metric, const V& truth) {
  std::vector<int> order(truth.size());
  std::iota(order.begin(), order.end(), 0);
  V scores(truth.size());
  double sum = 0;
  std::size_t defined = 0, orders = 0;
  do {
    for (std::size_t i = 0; i < order.size(); ++i) scores[i] = order[i];
    const Metric v = metric(scores, truth);
    if (v) {
      sum += *v;
      ++defined;
    }
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_TRUE(defined == 0 || defined == orders) << metric.name << ": defined for only some orders";
  return defined ? Metric(sum / static_cast<double>(defined)) : std::nullopt;
}

std::vector<V> brute_force_cases() {
  std::vector<V> cases = {
      {0.61, 0.74, 0.55, 0.80, 0.69, 0.72},        // no ties
      {0.70, 0.70, 0.50, 0.90, 0.50, 0.50, 0.80},  // ties
      {0.90, 0.90, 0.60, 0.60, 0.30},              // a tie at the top
      {1, 1, 2},
      {0.2, 0.2, 0.2, 0.2, 0.2, 0.9, 0.1},  // one big tie
      {0.3, 0.8},
      {0.75},
      {0.5, 0.5, 0.5},                           // constant: correlations undefined
      {0.0, -0.1, -0.2, 0.0},                    // best ≤ 0: regret undefined
      {0.4, 0.4, 0.1, 0.1, 0.1, 0.7, 0.7, 0.2},  // n = 8
  };
  // Values on a coarse grid, so that ties are frequent.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(1, 5);
  for (std::size_t n = 2; n <= 7; ++n)
    for (int rep = 0; rep < 3; ++rep) {
      V v(n);
      for (auto& x : v) x = level(rng) / 10.0;
      cases.push_back(v);
    }
  return cases;
}

std::string show(const V& v) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return "truth {" + s + "}";
}

TEST(RandomRanker, EqualsTheMeanOverAllOrders) {
  for (const V& truth : brute_force_cases()) {
    for (const RankingMetric& m : metrics_to_check())
      EXPECT_TRUE(close(random_value(m.name, m.k, truth), brute_force(m, truth))) << m.name << ", " << show(truth);
    // The table form gives the same values.
    const std::vector<Metric> row = random_ranker_metrics(truth);
    ASSERT_EQ(row.size(), transfer_metrics().size());
    for (std::size_t i = 0; i < row.size(); ++i)
      EXPECT_TRUE(close(row[i], brute_force(transfer_metrics()[i], truth))) << transfer_metrics()[i].name;
  }
}

TEST(RandomRanker, CorrelationsAreZeroButWeightedTauIsNotWithTiedTruth) {
  const V distinct = {0.3, 0.1, 0.7, 0.5};
  const std::vector<Metric> row = random_ranker_metrics(distinct);
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (transfer_metrics()[i].k == 0) {
      EXPECT_EQ(row[i], 0.0) << transfer_metrics()[i].name;
    }
  }
  // scipy: mean of weightedtau(p, [1, 1, 2]) over the 6 permutations p of (0, 1, 2).
  EXPECT_TRUE(close(random_weighted_tau(V{1, 1, 2}), -0.028214493952175495));
  EXPECT_EQ(random_correlation(V{1, 1, 2}), 0.0);
}

TEST(RandomRanker, WeightedTauExpansionIsCloseToTheExactValue) {
  const double all = std::numeric_limits<double>::infinity();
  // 60,060 and 184,756 arrangements of the tie-group sizes: the exact sum is feasible. The
  // second is about the worst case for the expansion: 20 sources, half of them tied.
  const std::vector<std::pair<V, double>> cases = {
      {{1, 1, 2, 2, 2, 3, 4, 4, 5, 6, 6, 6, 7}, 1e-6},
      {{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11}, 1e-5},
  };
  for (const auto& [truth, tolerance] : cases) {
    const Metric exact = random_weighted_tau(truth, all), expanded = random_weighted_tau(truth, 0);
    ASSERT_TRUE(exact && expanded);
    EXPECT_NE(*exact, 0.0);
    EXPECT_NEAR(*expanded, *exact, tolerance) << show(truth);
    EXPECT_NE(*expanded, *exact);  // it is an expansion: the budget decides which one runs
    EXPECT_EQ(random_weighted_tau(truth), exact) << "the default budget covers " << truth.size() << " sources";
  }
}

TEST(RandomRanker, MatchesTheOracleFixture) {
  // scripts/oracles/ranker_comparison_oracle.py: brute force with numpy and scipy.
  const auto fixture =
      nlohmann::json::parse(testing::read_text(testing::fixtures_dir() / "eval" / "random_ranker_expected.json"));
  std::size_t checked = 0;
  for (const auto& c : fixture.at("cases")) {
    const V truth = c.at("truth").get<V>();
    for (const auto& [name, want] : c.at("expected").items()) {
      const auto at = name.find('@');
      const std::size_t k = at == std::string::npos ? 0 : std::stoul(name.substr(at + 1));
      const Metric got = random_value(name, k, truth);
      const std::string where = c.at("name").get<std::string>() + " " + name;
      if (want.is_null()) {
        EXPECT_EQ(got, std::nullopt) << where;
        continue;
      }
      ASSERT_TRUE(got) << where;
      const double w = want.get<double>();
      EXPECT_LE(std::abs(*got - w), 1e-12 * std::max(1.0, std::abs(w))) << where << ": got " << *got << ", want " << w;
      ++checked;
    }
  }
  EXPECT_GE(checked, 100u);
}

TEST(RandomRanker, UndefinedAndInvalid) {
  const V with_nan = {0.5, kNaN, 0.7};
  for (const Metric& v : random_ranker_metrics(with_nan)) EXPECT_EQ(v, std::nullopt);
  for (const Metric& v : random_ranker_metrics(V{})) EXPECT_EQ(v, std::nullopt);
  EXPECT_THROW(random_regret_at_k(V{0.5}, 0), UsageError);
  EXPECT_THROW(random_ndcg_at_k(V{0.5}, 0), UsageError);
  EXPECT_THROW(random_precision_at_k(V{0.5}, 0), UsageError);
}

TEST(RandomRanker, RegretOnManySourcesNeedsNoHugeBinomials) {
  // C(1000, 500) overflows a double; the ratio recursion does not. Truth = 1000…1 / 1000:
  // the best of a random 500-subset has mean rank (n + 1)/(k + 1), so E[best] = 1 − (1001/501 − 1)/1000.
  V truth(1000);
  for (std::size_t i = 0; i < truth.size(); ++i) truth[i] = static_cast<double>(i + 1) / 1000;
  const double expected_best = (1000.0 - (1001.0 / 501.0 - 1.0)) / 1000.0;
  EXPECT_TRUE(close(random_regret_at_k(truth, 500), (1 - expected_best) * 100));
}

// ---- bootstrap ---------------------------------------------------------------------------

TEST(Bootstrap, ResamplesAreSeededAndInRange) {
  const auto a = bootstrap_resamples(7, 50, 3), b = bootstrap_resamples(7, 50, 3), c = bootstrap_resamples(7, 50, 4);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  ASSERT_EQ(a.size(), 50u);
  std::vector<int> seen(7, 0);
  for (const auto& sample : a) {
    ASSERT_EQ(sample.size(), 7u);
    for (std::size_t i : sample) {
      ASSERT_LT(i, 7u);
      seen[i] = 1;
    }
  }
  EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), 0), 7);  // 350 draws reach every target
}

TargetEvaluation target_with(double first_value) {
  TargetEvaluation t{"t", 3, std::vector<Metric>(transfer_metrics().size())};
  t.values[0] = first_value;
  return t;
}

TEST(Bootstrap, PercentilesInterpolateLinearly) {
  const std::vector<TargetEvaluation> targets = {target_with(0), target_with(1), target_with(2), target_with(3)};
  const std::vector<std::vector<std::size_t>> resamples = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {0, 1}};
  // Resample means 0, 1, 2, 3, 0.5 → sorted 0, 0.5, 1, 2, 3.
  auto ci = bootstrap_intervals(targets, resamples, 0.5);
  EXPECT_TRUE(close(ci[0].lo, 0.5));  // quantile 0.25: position 1
  EXPECT_TRUE(close(ci[0].hi, 2.0));  // quantile 0.75: position 3
  ci = bootstrap_intervals(targets, resamples, 0.95);
  EXPECT_TRUE(close(ci[0].lo, 0.05));  // position 0.1
  EXPECT_TRUE(close(ci[0].hi, 2.9));   // position 3.9
  // The other metrics are undefined on every target: no interval.
  EXPECT_EQ(ci[1].lo, std::nullopt);
  EXPECT_EQ(ci[1].hi, std::nullopt);
  EXPECT_THROW(bootstrap_intervals(targets, resamples, 1.0), UsageError);
}

TEST(Bootstrap, UndefinedTargetsAreLeftOutOfEachResample) {
  // Target 1 has metric 0 undefined: a resample's mean uses target 0 only, or is left out.
  std::vector<TargetEvaluation> targets = {target_with(0.25), target_with(0)};
  targets[1].values[0] = std::nullopt;
  const auto ci = bootstrap_intervals(targets, bootstrap_resamples(2, 200, 1));
  EXPECT_EQ(ci[0].lo, 0.25);
  EXPECT_EQ(ci[0].hi, 0.25);
  EXPECT_EQ(mean_over_targets(targets).values[0], 0.25);
}

// Rows for `targets` targets of `sources` sources and two rankers: "good" follows the
// truth with noise, "noise" does not.
std::vector<ComparisonRow> make_rows(std::size_t targets, std::size_t sources, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.05);
  std::uniform_real_distribution<double> acc(0.5, 0.9);
  std::vector<ComparisonRow> rows;
  for (std::size_t t = 0; t < targets; ++t)
    for (std::size_t s = 0; s < sources; ++s) {
      const double truth = acc(rng);
      rows.push_back({"t" + std::to_string(t), "s" + std::to_string(s), {truth + noise(rng), noise(rng)}, truth});
    }
  return rows;
}

const std::vector<std::string> kRankers = {"good", "noise"};

TEST(Bootstrap, IntervalsContainTheMeanAndDependOnTheSeedOnly) {
  const auto rows = make_rows(12, 8, 5);
  ComparisonOptions options;
  options.random = true;
  options.seed = 11;
  const RankerComparison a = compare_rankers(kRankers, rows, options), b = compare_rankers(kRankers, rows, options);
  options.seed = 12;
  const RankerComparison c = compare_rankers(kRankers, rows, options);
  ASSERT_EQ(a.rankers.size(), 3u);
  bool seed_matters = false;
  for (std::size_t r = 0; r < a.rankers.size(); ++r) {
    const RankerEvaluation& x = a.rankers[r];
    ASSERT_EQ(x.ci.size(), transfer_metrics().size());
    for (std::size_t m = 0; m < x.ci.size(); ++m) {
      const std::string what = x.name + " " + std::string(transfer_metrics()[m].name);
      ASSERT_TRUE(x.mean.values[m] && x.ci[m].lo && x.ci[m].hi) << what;
      EXPECT_LE(*x.ci[m].lo, *x.mean.values[m] + 1e-12) << what;
      EXPECT_GE(*x.ci[m].hi, *x.mean.values[m] - 1e-12) << what;
      EXPECT_EQ(x.ci[m].lo, b.rankers[r].ci[m].lo) << what;
      EXPECT_EQ(x.ci[m].hi, b.rankers[r].ci[m].hi) << what;
      seed_matters |= x.ci[m].lo != c.rankers[r].ci[m].lo;
    }
  }
  EXPECT_TRUE(seed_matters);
  // The informative ranker's interval lies above the noise ranker's on weighted τ.
  EXPECT_GT(*a.rankers[0].ci[0].lo, *a.rankers[1].ci[0].hi);
}

TEST(Bootstrap, OneTargetGivesZeroWidth) {
  const auto rows = make_rows(1, 9, 2);
  ComparisonOptions options;
  options.random = true;
  for (const RankerEvaluation& r : compare_rankers(kRankers, rows, options).rankers)
    for (std::size_t m = 0; m < r.ci.size(); ++m) {
      ASSERT_TRUE(r.mean.values[m]) << r.name << " " << transfer_metrics()[m].name;
      EXPECT_EQ(r.ci[m].lo, r.mean.values[m]) << r.name << " " << transfer_metrics()[m].name;
      EXPECT_EQ(r.ci[m].hi, r.mean.values[m]) << r.name << " " << transfer_metrics()[m].name;
    }
}

TEST(Bootstrap, NoResamplesNoIntervals) {
  ComparisonOptions options;
  options.bootstrap = 0;
  const RankerComparison c = compare_rankers(kRankers, make_rows(3, 5, 1), options);
  for (const auto& ci : c.rankers[0].ci) {
    EXPECT_EQ(ci.lo, std::nullopt);
    EXPECT_EQ(ci.hi, std::nullopt);
  }
  EXPECT_TRUE(c.rankers[0].mean.values[0]);
}

// ---- the comparison ----------------------------------------------------------------------

std::vector<TransferRow> rows_of(const std::vector<ComparisonRow>& rows, std::size_t ranker) {
  std::vector<TransferRow> out;
  for (const auto& r : rows)
    if (!std::isnan(r.scores[ranker])) out.push_back({r.target, r.source, r.scores[ranker], r.truth, r.line});
  return out;
}

TEST(Compare, EachRankerAsEvaluateTransfer) {
  const auto rows = make_rows(4, 6, 9);
  const RankerComparison c = compare_rankers(kRankers, rows);
  EXPECT_EQ(c.targets, (std::vector<std::string>{"t0", "t1", "t2", "t3"}));
  EXPECT_EQ(c.bootstrap, 2000u);
  ASSERT_EQ(c.rankers.size(), 2u);  // no random unless asked
  for (std::size_t r = 0; r < 2; ++r) {
    const TransferEvaluation want = evaluate_transfer(rows_of(rows, r));
    const RankerEvaluation& got = c.rankers[r];
    EXPECT_EQ(got.name, kRankers[r]);
    ASSERT_EQ(got.targets.size(), want.targets.size());
    for (std::size_t t = 0; t < want.targets.size(); ++t) {
      EXPECT_EQ(got.targets[t].target, want.targets[t].target);
      EXPECT_EQ(got.targets[t].n, want.targets[t].n);
      EXPECT_EQ(got.targets[t].values, want.targets[t].values);
    }
    EXPECT_EQ(got.mean.n, want.mean.n);
    EXPECT_EQ(got.mean.values, want.mean.values);
    EXPECT_EQ(got.dropped, 0u);
  }
}

TEST(Compare, MissingScoresAreDroppedForThatRankerOnly) {
  auto rows = make_rows(3, 6, 4);
  rows[1].scores[0] = kNaN;                                        // t0, ranker "good"
  rows[4].scores[0] = kNaN;                                        // t0
  for (std::size_t i = 12; i < 18; ++i) rows[i].scores[0] = kNaN;  // all of t2 for "good"
  rows[7].scores[1] = kNaN;                                        // t1, ranker "noise"
  ComparisonOptions options;
  options.random = true;
  const RankerComparison c = compare_rankers(kRankers, rows, options);
  const RankerEvaluation &good = c.rankers[0], &noise = c.rankers[1], &random = c.rankers[2];

  EXPECT_EQ(good.dropped, 8u);
  EXPECT_EQ(good.dropped_by_target, (std::vector<std::size_t>{2, 0, 6}));
  EXPECT_EQ(good.targets[0].n, 4u);
  // t0 stays defined for "good": its metrics are those of its four scored sources.
  const TransferEvaluation kept = evaluate_transfer(rows_of(rows, 0));
  EXPECT_EQ(good.targets[0].values, kept.targets[0].values);
  for (const Metric& v : good.targets[0].values) EXPECT_TRUE(v);
  // t2 has no scored source for "good": listed, every metric undefined, left out of the mean.
  EXPECT_EQ(good.targets[2].target, "t2");
  EXPECT_EQ(good.targets[2].n, 0u);
  for (const Metric& v : good.targets[2].values) EXPECT_EQ(v, std::nullopt);
  EXPECT_EQ(good.mean.n, 3u);
  EXPECT_TRUE(close(good.mean.values[0], (*good.targets[0].values[0] + *good.targets[1].values[0]) / 2));

  EXPECT_EQ(noise.dropped, 1u);
  EXPECT_EQ(noise.dropped_by_target, (std::vector<std::size_t>{0, 1, 0}));
  EXPECT_EQ(noise.targets[0].n, 6u);
  EXPECT_EQ(noise.targets[1].n, 5u);

  // The random ranker needs no scores: every source counts.
  EXPECT_EQ(random.name, "random");
  EXPECT_EQ(random.dropped, 0u);
  for (std::size_t t = 0; t < 3; ++t) EXPECT_EQ(random.targets[t].n, 6u);
}

TEST(Compare, RandomRankerRowIsTheExpectationPerTarget) {
  const auto rows = make_rows(3, 5, 8);
  ComparisonOptions options;
  options.random = true;
  const RankerComparison c = compare_rankers(kRankers, rows, options);
  const RankerEvaluation& random = c.rankers.back();
  for (std::size_t t = 0; t < 3; ++t) {
    V truth;
    for (const auto& r : rows)
      if (r.target == c.targets[t]) truth.push_back(r.truth);
    EXPECT_EQ(random.targets[t].values, random_ranker_metrics(truth));
  }
  EXPECT_EQ(random.mean.values, mean_over_targets(random.targets).values);
  EXPECT_EQ(random.mean.values[1], 0.0);  // Kendall τ-b
  // Only the random ranker: allowed.
  auto unscored = rows;
  for (auto& r : unscored) r.scores.clear();
  EXPECT_EQ(compare_rankers({}, unscored, options).rankers.size(), 1u);
}

template <class E>
void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "expected an error mentioning '" << part << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Compare, BadInputNamesTheRow) {
  auto rows = make_rows(2, 3, 1);
  rows[2].line = 4;
  rows[4].line = 6;
  const std::vector<std::string> one = {"good"};
  expect_error<InputError>([&] { compare_rankers(one, rows); }, "row 1 (target 't0', source 's0') has 2 scores for 1");
  auto bad = rows;
  bad[2].truth = kNaN;
  expect_error<InputError>([&] { compare_rankers(kRankers, bad); }, "line 4 (target 't0', source 's2')");
  bad = rows;
  bad[4].source = "s0";
  bad[4].target = "t0";
  expect_error<InputError>([&] { compare_rankers(kRankers, bad); }, "appears twice, at row 1 and line 6");

  expect_error<UsageError>([&] { compare_rankers({}, rows); }, "no ranker");
  const std::vector<std::string> twice = {"good", "good"};
  expect_error<UsageError>([&] { compare_rankers(twice, rows); }, "'good' is given twice");
  const std::vector<std::string> named_random = {"good", "random"};
  ComparisonOptions options;
  options.random = true;
  expect_error<UsageError>([&] { compare_rankers(named_random, rows, options); }, "named 'random'");
  EXPECT_NO_THROW(compare_rankers(named_random, rows));  // a column may be called random without --random
  options.confidence = 1.5;
  expect_error<UsageError>([&] { compare_rankers(kRankers, rows, options); }, "confidence");
}

}  // namespace
}  // namespace taskscout
