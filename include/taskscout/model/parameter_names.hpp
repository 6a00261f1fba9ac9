#pragma once
// The Hugging Face names and shapes of an encoder's parameters, without the architecture
// prefix ("bert.", "roberta.", "distilbert."). The loader checks checkpoints against
// these and the forward pass looks parameters up by them, so both agree by construction.
// Each name below is a module path: its parameters are "<name>.weight" and "<name>.bias".
#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/model/config.hpp"

namespace taskscout {

struct EmbeddingNames {
  std::string word, position, token_type /* empty: none */, norm;
};

// One post-norm transformer layer: x + attention → norm, then + feed-forward → norm.
struct LayerNames {
  std::string query, key, value, attention_out, attention_norm, ffn_in, ffn_out, output_norm;
};

EmbeddingNames embedding_names(Architecture architecture);
LayerNames layer_names(Architecture architecture, std::int64_t layer);
// "pooler.dense" (BERT family; optional in checkpoints) or empty (DistilBERT has none).
std::string pooler_name(Architecture architecture);
// The prefix Hugging Face's task models put before the encoder's names.
std::string checkpoint_prefix(Architecture architecture);
// "encoder.layer." or "transformer.layer.": every layer's names start with it.
std::string layer_prefix(Architecture architecture);

struct ParameterSpec {
  std::string name;  // full tensor name, e.g. "encoder.layer.0.attention.self.query.weight"
  std::vector<std::int64_t> shape;
  bool required = true;  // the pooler is optional
};

// Every parameter of the encoder with the shape the config implies, in forward order.
std::vector<ParameterSpec> parameter_specs(const EncoderConfig& config);

}  // namespace taskscout
