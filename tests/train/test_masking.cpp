// MLM masking: the 15% / 80-10-10 statistics on a large batch, labels, special tokens
// never chosen, determinism per seed, and bad options.
#include <gtest/gtest.h>

#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/train/masking.hpp"

using namespace taskscout;

namespace {

constexpr std::int64_t kVocab = 1000, kMask = 4;

MaskingOptions options() {
  MaskingOptions o;
  o.mask_token_id = kMask;
  o.vocab_size = kVocab;
  return o;
}

// Ids 5..999, with every 10th position a special token (id 2) that must never be chosen.
struct Batch {
  at::Tensor ids, maskable;
};
Batch batch(std::int64_t rows, std::int64_t cols) {
  at::Tensor ids = at::randint(5, kVocab, {rows, cols}, at::kLong);
  ids.index_put_({at::indexing::Slice(), at::indexing::Slice(0, at::indexing::None, 10)}, 2);
  return {ids, ids.ne(2)};
}

// |observed − expected| within 5 standard deviations of a binomial share.
void expect_share(std::int64_t hits, std::int64_t n, double p, const char* what) {
  const double sd = std::sqrt(p * (1 - p) / static_cast<double>(n));
  EXPECT_NEAR(static_cast<double>(hits) / static_cast<double>(n), p, 5 * sd) << what << ": " << hits << "/" << n;
}

}  // namespace

TEST(Masking, ChoosesFifteenPercentAndReplacesEightyTenTen) {
  at::manual_seed(3);
  const Batch b = batch(200, 500);
  const MaskedBatch m = mask_tokens(b.ids, b.maskable, options(), 42);
  const at::Tensor chosen = m.labels.ne(-100);
  const std::int64_t maskable = b.maskable.sum().item<std::int64_t>();
  const std::int64_t n = chosen.sum().item<std::int64_t>();
  expect_share(n, maskable, 0.15, "chosen");
  EXPECT_EQ((chosen & ~b.maskable).sum().item<std::int64_t>(), 0) << "a special token was chosen";
  // Labels hold the original ids exactly where chosen; elsewhere nothing changes.
  EXPECT_TRUE(at::equal(m.labels.masked_select(chosen), b.ids.masked_select(chosen)));
  EXPECT_TRUE(at::equal(m.input_ids.masked_select(~chosen), b.ids.masked_select(~chosen)));
  const at::Tensor now = m.input_ids.masked_select(chosen), was = b.ids.masked_select(chosen);
  const std::int64_t masked = now.eq(kMask).sum().item<std::int64_t>();
  const std::int64_t kept = now.eq(was).sum().item<std::int64_t>();
  const std::int64_t random = n - masked - kept;
  expect_share(masked, n, 0.8, "[MASK]");
  // A random draw equals the original (or [MASK]) with probability 1/V each.
  expect_share(kept, n, 0.1 + 0.1 / kVocab, "kept");
  expect_share(random, n, 0.1 * (1 - 2.0 / kVocab), "random");
  EXPECT_GE(m.input_ids.min().item<std::int64_t>(), 0);
  EXPECT_LT(m.input_ids.max().item<std::int64_t>(), kVocab);
}

TEST(Masking, RandomReplacementsCoverTheVocabulary) {
  at::manual_seed(4);
  const Batch b = batch(300, 500);
  MaskingOptions o = options();
  o.mask_probability = 1.0;
  o.replace_with_mask = 0.0;
  o.replace_with_random = 1.0;
  const MaskedBatch m = mask_tokens(b.ids, b.maskable, o, 9);
  const at::Tensor drawn = m.input_ids.masked_select(b.maskable);
  const at::Tensor counts = at::bincount(drawn, {}, kVocab).to(at::kDouble);
  const double expected = static_cast<double>(drawn.numel()) / kVocab;  // ~121 per id
  const double chi2 = ((counts - expected).pow(2) / expected).sum().item<double>();
  EXPECT_LT(chi2, 999 + 6 * std::sqrt(2 * 999.0)) << "chi-square over 1000 ids";
  EXPECT_GT(counts.min().item<double>(), 0);
}

TEST(Masking, SameSeedSameMaskingOtherSeedOther) {
  const Batch b = batch(8, 64);
  const MaskedBatch x = mask_tokens(b.ids, b.maskable, options(), 5);
  const MaskedBatch y = mask_tokens(b.ids, b.maskable, options(), 5);
  const MaskedBatch z = mask_tokens(b.ids, b.maskable, options(), 6);
  EXPECT_TRUE(at::equal(x.input_ids, y.input_ids));
  EXPECT_TRUE(at::equal(x.labels, y.labels));
  EXPECT_FALSE(at::equal(x.labels, z.labels));
  EXPECT_TRUE(
      at::equal(b.ids.masked_select(b.maskable.logical_not()), x.input_ids.masked_select(b.maskable.logical_not())));
}

TEST(Masking, NothingMaskableNothingChosen) {
  const Batch b = batch(4, 16);
  const MaskedBatch m = mask_tokens(b.ids, at::zeros_like(b.maskable), options(), 1);
  EXPECT_EQ(m.labels.ne(-100).sum().item<std::int64_t>(), 0);
  EXPECT_TRUE(at::equal(m.input_ids, b.ids));
}

TEST(Masking, BadOptionsAreUsageErrors) {
  const Batch b = batch(2, 8);
  MaskingOptions o = options();
  o.mask_token_id = kVocab;
  EXPECT_THROW(mask_tokens(b.ids, b.maskable, o, 1), UsageError);
  o = options();
  o.mask_probability = 1.5;
  EXPECT_THROW(mask_tokens(b.ids, b.maskable, o, 1), UsageError);
  o = options();
  o.replace_with_random = 0.3;  // 0.8 + 0.3 > 1
  EXPECT_THROW(mask_tokens(b.ids, b.maskable, o, 1), UsageError);
  EXPECT_THROW(mask_tokens(b.ids, b.maskable.slice(1, 0, 4), options(), 1), UsageError);
}
