// Streaming sources over the worker pool: every source scored once, failures become
// skipped entries with their reason, the ranking orders by score; and TextEmb.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/select/esm_logme.hpp"
#include "taskscout/select/ranking.hpp"
#include "taskscout/select/textemb.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

std::vector<std::string> names_of(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back("s" + std::to_string(i));
  return names;
}

TEST(ScoreSources, ScoresEverySourceOnceOnTwoWorkersAndSkipsFailuresWithTheirReason) {
  set_thread_count(2);
  const auto names = names_of(40);
  std::vector<std::atomic<int>> calls(40);
  const auto scores = score_sources(names, [&](std::size_t i) -> double {
    ++calls[i];
    if (i == 7) throw InputError("corrupt blob");
    if (i == 9) throw std::runtime_error("anything else");
    if (i == 11) return NAN;
    return static_cast<double>(i % 5);
  });
  ASSERT_EQ(scores.size(), 40u);
  for (std::size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(calls[i], 1);
    EXPECT_EQ(scores[i].name, names[i]);
    EXPECT_EQ(scores[i].ok(), i != 7 && i != 9 && i != 11);
  }
  EXPECT_EQ(scores[7].skipped, "corrupt blob");
  EXPECT_EQ(scores[9].skipped, "anything else");
  EXPECT_EQ(scores[11].skipped, "its score is not finite");
  const Ranking r = make_ranking(scores);
  ASSERT_EQ(r.ranked.size(), 37u);
  ASSERT_EQ(r.skipped.size(), 3u);
  EXPECT_EQ(r.skipped[0].name, "s7");
  for (std::size_t i = 1; i < r.ranked.size(); ++i) EXPECT_GE(r.ranked[i - 1].score, r.ranked[i].score);
  // Ties keep input order: the 4s are s4, s14, s24, s34 in that order.
  EXPECT_EQ(r.ranked[0].name, "s4");
  EXPECT_EQ(r.ranked[1].name, "s14");
}

TEST(ScoreSources, RunsTwoWorkersAtOnce) {
  set_thread_count(2);
  std::mutex m;
  std::set<std::thread::id> ids;
  std::atomic<int> running{0}, most{0};
  score_sources(names_of(8), [&](std::size_t) {
    const int now = ++running;
    most = std::max(most.load(), now);
    {
      std::lock_guard lock(m);
      ids.insert(std::this_thread::get_id());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --running;
    return 1.0;
  });
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(most.load(), 2);
}

TEST(ScoreSources, ReportsProgressOncePerSource) {
  set_thread_count(2);
  std::vector<std::int64_t> seen;
  score_sources(
      names_of(9), [](std::size_t i) { return static_cast<double>(i); },
      [&](std::int64_t done) { seen.push_back(done); });
  ASSERT_EQ(seen.size(), 9u);
  for (std::size_t i = 0; i < 9; ++i) EXPECT_EQ(seen[i], static_cast<std::int64_t>(i + 1));
}

TEST(ScoreSources, ParallelEsmLogmeEqualsSerialAndABrokenMapDoesNotStopTheOthers) {
  at::manual_seed(3);
  EstimationInput in;
  in.features = to_array(at::randn({60, 8}));
  std::vector<std::int64_t> labels(60);
  for (int i = 0; i < 60; ++i) labels[i] = i % 3;
  in.targets = Targets::from_class_labels(labels);
  const EsmLogmeTarget target(in);
  std::vector<Esm> esms(12);
  for (auto& e : esms) {
    e.weight = to_array(at::randn({8, 8}));
    e.bias = to_array(at::randn({8}));
  }
  esms[5].weight = to_array(at::randn({9, 9}));  // another dimension
  esms[5].bias = to_array(at::randn({9}));
  std::vector<double> serial;
  for (std::size_t i = 0; i < esms.size(); ++i) serial.push_back(i == 5 ? NAN : target.score(esms[i]));
  set_thread_count(2);
  const auto parallel = score_sources(names_of(12), [&](std::size_t i) { return target.score(esms[i], "s5"); });
  for (std::size_t i = 0; i < esms.size(); ++i) {
    if (i == 5) {
      EXPECT_NE(parallel[i].skipped.find("another base model"), std::string::npos) << parallel[i].skipped;
      continue;
    }
    // Single-threaded BLAS in the workers sums in another order: equal to rounding.
    EXPECT_NEAR(parallel[i].score, serial[i], 1e-12 * std::abs(serial[i]));
  }
}

TEST(TextEmb, IsTheCosineOfMeanEmbeddings) {
  const at::Tensor target = at::tensor({1.0, 0.0, 2.0, 3.0, 2.0, 0.0}, at::kDouble).reshape({2, 3});  // mean (2, 1, 1)
  const at::Tensor mean = mean_embedding(target);
  EXPECT_NEAR(textemb_score(mean, to_array(at::tensor({2.0f, 1.0f, 1.0f}))), 1.0, 1e-12);
  EXPECT_NEAR(textemb_score(mean, to_array(at::tensor({-1.0f, 2.0f, 0.0f}))), 0.0, 1e-12);
  EXPECT_NEAR(textemb_score(mean, to_array(at::tensor({1.0f, 0.0f, 0.0f}))), 2.0 / std::sqrt(6.0), 1e-12);
  EXPECT_THROW(textemb_score(mean, to_array(at::tensor({1.0f, 0.0f}))), InputError);
  EXPECT_THROW(textemb_score(mean, to_array(at::tensor({0.0f, 0.0f, 0.0f}))), InputError);
}

}  // namespace
}  // namespace taskscout
