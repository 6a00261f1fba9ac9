#pragma once
// The encoder forward pass (BERT, RoBERTa, XLM-RoBERTa, DistilBERT) as a pure function
// of the config and a parameter map, computed as Hugging Face's eager implementation
// does: float32, additive attention mask (1 − mask)·lowest, softmax in float32, exact
// (erf) GELU. It records autograd history when its parameters require gradients; callers
// that only embed should hold a c10::InferenceMode guard.
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "taskscout/model/config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct AdapterComposition;
struct LoraComposition;

// A bottleneck adapter in the forward pass (adapter.hpp writes and reads them): found in
// the parameter map under the adapters library's names for `name`
// ("encoder.layer.3.output.adapters.<name>.adapter_down.0.weight", …) at each site that has
// them, after the attention output (Houlsby) and/or after the feed-forward output.
struct BottleneckOptions {
  std::string name;  // empty: no adapter
  // The site's sublayer output h and input x go through LN(adapter(LN(h + x)) + h + x)
  // (Pfeiffer: original_ln_before) or LN(adapter(h) + h + x) (Houlsby), where
  // adapter(z) = up(act(down(z))) and LN is the layer's own norm.
  bool original_ln_before = true;
  bool swish = false;  // the non-linearity: relu (Pfeiffer) or swish (Houlsby)
  // Several adapters combined at every site (adapter_composition.hpp), each with the
  // placement above; `name` is then unused.
  std::shared_ptr<const AdapterComposition> composition;
};

struct EncodeOptions {
  bool all_hidden_states = false;  // keep the embeddings and every layer's output
  // Run only the first `layers` layers (−1: all of them; 0: embeddings only), so that
  // pooling an inner layer costs no more than reaching it.
  std::int64_t layers = -1;
  // LoRA (lora.hpp): when nonzero, every linear module whose "<module>.lora_A.weight" and
  // "<module>.lora_B.weight" are in the map computes W·x + b + lora_scaling · B·(A·x), as
  // PEFT does. Zero keeps the plain path (no lookups).
  double lora_scaling = 0;
  // Several frozen LoRAs combined by ScaLearn (lora_composition.hpp): every linear module
  // where a source has a pair adds their scaled sum. Null keeps the plain path.
  std::shared_ptr<const LoraComposition> lora_composition;
  BottleneckOptions adapter;
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
