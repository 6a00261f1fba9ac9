#pragma once
// Masking for masked-language-model training, as transformers'
// DataCollatorForLanguageModeling does it: each maskable token is chosen with
// probability p (15%); a chosen token becomes [MASK] with probability 80%, a random token
// of the vocabulary with 10%, and stays as it is with 10%; the model must predict the
// original token at every chosen position (labels hold it there and −100 elsewhere).
// Draws come from a seeded generator in token order, so a (batch, seed) pair always gives
// the same masking, on any thread count.
#include <ATen/ATen.h>

#include <cstdint>

namespace taskscout {

struct MaskingOptions {
  double mask_probability = 0.15;
  double replace_with_mask = 0.8;    // of the chosen tokens
  double replace_with_random = 0.1;  // of the chosen tokens; the rest stay unchanged
  std::int64_t mask_token_id = -1;
  std::int64_t vocab_size = 0;  // random tokens are drawn uniformly from [0, vocab_size)
};

struct MaskedBatch {
  at::Tensor input_ids;  // [B, L] int64, with the replacements
  at::Tensor labels;     // [B, L] int64: the original id where chosen, −100 elsewhere
};

// input_ids: [B, L] integer ids; maskable: [B, L] bool, false for special tokens and
// padding (never chosen). UsageError for probabilities outside [0, 1] (the two
// replacement shares must sum to at most 1), a mask id outside the vocabulary, or
// mismatched shapes.
MaskedBatch mask_tokens(const at::Tensor& input_ids, const at::Tensor& maskable, const MaskingOptions& options,
                        std::uint64_t seed);

}  // namespace taskscout
