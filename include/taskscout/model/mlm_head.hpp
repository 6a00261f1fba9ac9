#pragma once
// The masked-language-model head of Hugging Face's BertForMaskedLM (cls.predictions):
//   transform.dense → activation (the config's hidden_act) → transform.LayerNorm →
//   decoder (the word embeddings, tied, transposed) + cls.predictions.bias
// as a function of its parameter map, like the encoder. Names are Hugging Face's full
// checkpoint names, so a saved head loads in transformers; the decoder weight is the
// encoder's embeddings.word_embeddings.weight and is not stored twice (transformers ties
// it on load; cls.predictions.decoder.bias is likewise the tied cls.predictions.bias).
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

// The head's parameters with their shapes: the dense layer and LayerNorm ([H, H], [H],
// [H], [H]) and the output bias [V]. BERT only (UsageError for other architectures).
std::vector<ParameterSpec> mlm_head_specs(const EncoderConfig& config);

// hidden: [..., H], the encoder's last hidden states; encoder: its parameter map (for the
// tied word embeddings). Returns logits [..., V]. InputError for a missing parameter or a
// shape that differs from mlm_head_specs.
at::Tensor mlm_logits(const EncoderConfig& config, const ParameterMap& head, const ParameterMap& encoder,
                      const at::Tensor& hidden);

// Mean cross-entropy over the positions whose label is not −100 (transformers' ignore
// index), as BertForMaskedLM computes its loss. logits [N, V] or [B, L, V]; labels the
// same without V. With no labelled position the mean is NaN, as in PyTorch.
at::Tensor masked_lm_loss(const at::Tensor& logits, const at::Tensor& labels);

// The head's tensors from a checkpoint (float32), checked against mlm_head_specs.
ParameterMap load_mlm_head(const Checkpoint& checkpoint, const EncoderConfig& config);

}  // namespace taskscout
