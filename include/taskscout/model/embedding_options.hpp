#pragma once
// How texts become one embedding each: the pooling, the layer, the length and batch limits.
// Plain options, without libtorch, so that the public API can carry them.
#include <cstddef>
#include <string_view>

namespace taskscout {

enum class Pooling { Cls, Mean, Pooler };

// "cls", "mean" or "pooler"; anything else is a UsageError listing them.
Pooling parse_pooling(std::string_view name);
std::string_view pooling_name(Pooling pooling);

struct EmbeddingOptions {
  Pooling pooling = Pooling::Cls;
  // hidden_states index: 0 the embeddings, 1..num_layers the layers; negative counts
  // from the end (−1: the last layer).
  int layer = -1;
};

struct TextEmbeddingOptions {
  EmbeddingOptions embedding;
  std::size_t max_length = 0;  // tokens per text, special tokens included; 0: the model's limit
  std::size_t batch_size = 32;
};

}  // namespace taskscout
