// Vocabulary overlap: 1 − Jensen–Shannon divergence (bits) of token distributions,
// against the definition computed directly, and its artifact file.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/select/vocabulary.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

// JSD by its definition: KL(P‖M)/2 + KL(Q‖M)/2, M = (P + Q)/2, in bits.
double jsd_by_definition(std::vector<double> p, std::vector<double> q) {
  double sp = 0, sq = 0;
  for (double v : p) sp += v;
  for (double v : q) sq += v;
  double kl_p = 0, kl_q = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    p[i] /= sp;
    q[i] /= sq;
    const double m = (p[i] + q[i]) / 2;
    if (p[i] > 0) kl_p += p[i] * std::log2(p[i] / m);
    if (q[i] > 0) kl_q += q[i] * std::log2(q[i] / m);
  }
  return (kl_p + kl_q) / 2;
}

TEST(Vocabulary, IsOneMinusTheJensenShannonDivergence) {
  const std::vector<double> p = {5, 0, 3, 1, 0, 7}, q = {1, 2, 0, 4, 0, 1};
  EXPECT_NEAR(vocabulary_similarity(p, q), 1 - jsd_by_definition(p, q), 1e-14);
  EXPECT_NEAR(vocabulary_similarity(p, q), vocabulary_similarity(q, p), 1e-15);  // symmetric
}

TEST(Vocabulary, SameDistributionIsOneAndDisjointIsZero) {
  EXPECT_DOUBLE_EQ(vocabulary_similarity({{1, 2, 3}}, {{3, 6, 9}}), 1.0);  // counts, not sizes, matter
  EXPECT_NEAR(vocabulary_similarity({{1, 1, 0, 0}}, {{0, 0, 2, 5}}), 0.0, 1e-15);
  // More shared tokens, higher similarity.
  EXPECT_GT(vocabulary_similarity({{4, 4, 1, 0}}, {{4, 3, 1, 1}}),
            vocabulary_similarity({{4, 4, 1, 0}}, {{1, 0, 4, 4}}));
}

TEST(Vocabulary, BadCountsAreInputErrors) {
  EXPECT_THROW(vocabulary_similarity({{1, 2}}, {{1, 2, 3}}), InputError);  // another tokenizer
  EXPECT_THROW(vocabulary_similarity({{0, 0}}, {{1, 2}}), InputError);     // no tokens
  EXPECT_THROW(vocabulary_similarity({{1, -1}}, {{1, 2}}), InputError);
  EXPECT_THROW(vocabulary_similarity({{1, NAN}}, {{1, 2}}), InputError);
}

TEST(Vocabulary, ArtifactRoundTrip) {
  testing::TempDir dir;
  const std::vector<double> counts = {0, 3, 12, 7};
  write_vocabulary_artifact(dir / "v.safetensors", counts, "abc", 9);
  EXPECT_EQ(read_vocabulary_artifact(dir / "v.safetensors"), counts);
  testing::write_text(dir / "other.safetensors", "not safetensors");
  EXPECT_THROW(read_vocabulary_artifact(dir / "other.safetensors"), Error);
}

}  // namespace
}  // namespace taskscout
