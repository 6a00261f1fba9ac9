#pragma once
// One batch of token ids → one embedding per row: encode only as deep as the chosen
// layer, then pool. The `embed` command buckets texts by length, pads each bucket,
// calls this per batch and writes the rows back in input order.
#include <ATen/ATen.h>

#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/pooling.hpp"

namespace taskscout {

// Checks the options against the model before any text is read: UsageError for a layer
// out of range, InputError naming the folder for pooler pooling without a pooler.
void check_embedding_options(const Encoder& encoder, const EmbeddingOptions& options);

// [B, L] ids, mask and (optional) token types → [B, D] float32.
at::Tensor sentence_embeddings(const Encoder& encoder, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                               const at::Tensor& token_type_ids, const EmbeddingOptions& options);

}  // namespace taskscout
