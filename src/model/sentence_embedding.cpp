#include "taskscout/model/sentence_embedding.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"

namespace taskscout {

void check_embedding_options(const Encoder& encoder, const EmbeddingOptions& options) {
  resolve_layer(encoder.config.num_layers, options.layer);
  if (options.pooling == Pooling::Pooler && !encoder.has_pooler())
    throw InputError(location(encoder.folder.string()) +
                     fmt::format("this {} checkpoint has no pooler (pooler.dense); use cls or mean pooling",
                                 encoder.config.model_type));
}

at::Tensor sentence_embeddings(const Encoder& encoder, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                               const at::Tensor& token_type_ids, const EmbeddingOptions& options) {
  check_embedding_options(encoder, options);
  EncodeOptions run;
  run.layers = resolve_layer(encoder.config.num_layers, options.layer);
  const EncoderOutput out = encode(encoder.config, encoder.parameters, input_ids, attention_mask, token_type_ids, run);
  const at::Tensor mask = attention_mask.defined() ? attention_mask : at::ones(input_ids.sizes(), at::kLong);
  return pool(options.pooling, encoder.parameters, out.last_hidden_state, mask);
}

}  // namespace taskscout
