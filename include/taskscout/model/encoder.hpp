#pragma once
// The encoder forward pass (BERT, RoBERTa, XLM-RoBERTa, DistilBERT) as a pure function
// of the config and a parameter map, computed as Hugging Face's eager implementation
// does: float32, additive attention mask (1 − mask)·lowest, softmax in float32, exact
// (erf) GELU. It records autograd history when its parameters require gradients; callers
// that only embed should hold a c10::InferenceMode guard.
#include <ATen/ATen.h>

#include <vector>

#include "taskscout/model/config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct EncodeOptions {
  bool all_hidden_states = false;  // keep the embeddings and every layer's output
  // Run only the first `layers` layers (−1: all of them; 0: embeddings only), so that
  // pooling an inner layer costs no more than reaching it.
  std::int64_t layers = -1;
};

struct EncoderOutput {
  at::Tensor last_hidden_state;  // [B, L, D], the output of the last layer run
  // With all_hidden_states: layers run + 1 tensors [B, L, D], the embeddings first
  // (Hugging Face's hidden_states tuple); otherwise empty.
  std::vector<at::Tensor> hidden_states;
};

// input_ids: [B, L] integer token ids. attention_mask: [B, L], 1 for tokens and 0 for
// padding (undefined: all ones). token_type_ids: [B, L] segment ids (undefined: zeros;
// DistilBERT has none and ignores them). Padding may sit anywhere in a row; outputs at
// padding positions are computed but meaningless. Throws InputError for mismatched
// shapes, ids outside the vocabulary or token types, or sequences longer than the
// position embeddings allow, and UsageError for options.layers beyond num_layers.
EncoderOutput encode(const EncoderConfig& config, const ParameterMap& parameters, const at::Tensor& input_ids,
                     const at::Tensor& attention_mask, const at::Tensor& token_type_ids = {},
                     const EncodeOptions& options = {});

// The position ids the encoder uses: 0..L−1 for BERT and DistilBERT; for RoBERTa and
// XLM-R pad_token_id + 1 + (index among the row's non-padding tokens), and pad_token_id
// at padding tokens (recognized by input_ids == pad_token_id, as Hugging Face does).
at::Tensor position_ids(const EncoderConfig& config, const at::Tensor& input_ids);

}  // namespace taskscout
