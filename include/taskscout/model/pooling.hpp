#pragma once
// Sentence embeddings from token states: the first ([CLS] / <s>) token, the mean over
// real tokens, or BERT's pooler tanh(dense(CLS)). Any layer can be pooled.
#include <ATen/ATen.h>

#include <string_view>

#include "taskscout/model/embedding_options.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

// A layer choice as a hidden_states index in [0, num_layers]: 0 is the embeddings,
// negative counts from the end (−1: the last layer). Throws UsageError naming the range.
std::int64_t resolve_layer(std::int64_t num_layers, int layer);

// hidden_states[index] (index 0: the embeddings; negative counts from the end, −1 is the
// last layer). Throws UsageError for an index out of range; without all_hidden_states
// only the last layer (−1) is available.
const at::Tensor& select_layer(const EncoderOutput& output, int index);

// [B, L, D] → [B, D]: the states of the first token.
at::Tensor pool_cls(const at::Tensor& hidden);
// [B, L, D] → [B, D]: the mean over positions where attention_mask is 1.
at::Tensor pool_mean(const at::Tensor& hidden, const at::Tensor& attention_mask);
// [B, L, D] → [B, D]: tanh(pooler.dense(first token)). Throws InputError when the
// checkpoint has no pooler (DistilBERT, most task models).
at::Tensor pool_pooler(const ParameterMap& parameters, const at::Tensor& hidden);

at::Tensor pool(Pooling pooling, const ParameterMap& parameters, const at::Tensor& hidden,
                const at::Tensor& attention_mask);

}  // namespace taskscout
