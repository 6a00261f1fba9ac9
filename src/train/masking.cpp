#include "taskscout/train/masking.hpp"

#include <fmt/format.h>

#include <random>

#include "taskscout/core/error.hpp"

namespace taskscout {

MaskedBatch mask_tokens(const at::Tensor& input_ids, const at::Tensor& maskable, const MaskingOptions& o,
                        std::uint64_t seed) {
  auto in_unit = [](double p) { return p >= 0 && p <= 1; };
  if (!in_unit(o.mask_probability) || !in_unit(o.replace_with_mask) || !in_unit(o.replace_with_random) ||
      o.replace_with_mask + o.replace_with_random > 1 + 1e-12)
    throw UsageError(
        fmt::format("masking: probabilities must lie in [0, 1] and the replacement shares sum to at "
                    "most 1 (mask_probability {}, [MASK] {}, random {})",
                    o.mask_probability, o.replace_with_mask, o.replace_with_random));
  if (o.vocab_size <= 0 || o.mask_token_id < 0 || o.mask_token_id >= o.vocab_size)
    throw UsageError(
        fmt::format("masking: the [MASK] id {} is outside the vocabulary of {} tokens", o.mask_token_id, o.vocab_size));
  if (input_ids.dim() != 2 || maskable.sizes() != input_ids.sizes())
    throw UsageError("masking: input_ids must be [B, L] and maskable the same shape");

  at::Tensor ids = input_ids.to(at::kLong).contiguous().clone();
  at::Tensor labels = at::full_like(ids, -100);
  const at::Tensor can = maskable.to(at::kBool).contiguous();
  std::int64_t* x = ids.data_ptr<std::int64_t>();
  std::int64_t* y = labels.data_ptr<std::int64_t>();
  const bool* m = can.data_ptr<bool>();

  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<std::int64_t> token(0, o.vocab_size - 1);
  const double keep_from = o.replace_with_mask + o.replace_with_random;
  for (std::int64_t i = 0, n = ids.numel(); i < n; ++i) {
    if (!m[i] || unit(rng) >= o.mask_probability) continue;
    y[i] = x[i];
    const double r = unit(rng);
    if (r < o.replace_with_mask)
      x[i] = o.mask_token_id;
    else if (r < keep_from)
      x[i] = token(rng);
  }
  return {ids, labels};
}

}  // namespace taskscout
