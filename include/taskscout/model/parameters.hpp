#pragma once
// ParameterMap: the encoder's parameters by Hugging Face name (without the architecture
// prefix). The forward pass is a function of this map, so merged, scaled or trainable
// tensors can be passed in place of the loaded ones.
#include <ATen/ATen.h>

#include <map>
#include <string>

#include "taskscout/model/config.hpp"

namespace taskscout {

class Checkpoint;

using ParameterMap = std::map<std::string, at::Tensor>;

// The encoder's parameters as float32 tensors (F32 weights are zero-copy, read-only
// views of the mapped files; F16/BF16/F64 are converted). Names may carry the
// architecture prefix ("bert.", "roberta.", "distilbert."), which is stripped; task heads
// (classifier, lm_head, cls.predictions, pre_classifier, vocab_*, …) and buffers such as
// position_ids are ignored. Throws InputError naming the weight file and tensor for a
// missing tensor, a non-float dtype, or a shape other than the config implies (both
// shapes given), and for layers beyond the config's num_layers.
ParameterMap load_parameters(const Checkpoint& checkpoint, const EncoderConfig& config);

// The same name and shape checks for a map built in memory; `source` prefixes errors.
void check_parameters(const ParameterMap& parameters, const EncoderConfig& config, const std::string& source);

// Throws InputError "FILE: tensor NAME holds NaN; the model is damaged — retrain or
// re-download it" (or "holds an infinite value") when a value of the floating-point tensor
// is not finite. One pass over the tensor: every loader of model weights calls it once per
// tensor, so a damaged model is refused when loaded, not after it produced NaN outputs.
void check_finite(const at::Tensor& tensor, const std::string& file, const std::string& name);

// The parameter `name`, or an InputError naming it.
const at::Tensor& parameter(const ParameterMap& parameters, const std::string& name);

}  // namespace taskscout
