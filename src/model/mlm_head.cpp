#include "taskscout/model/mlm_head.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {
namespace {

const char* const kDense = "cls.predictions.transform.dense";
const char* const kNorm = "cls.predictions.transform.LayerNorm";
const char* const kBias = "cls.predictions.bias";

at::Tensor activate(Activation a, const at::Tensor& x) {
  switch (a) {
    case Activation::Gelu:
      return at::gelu(x);
    case Activation::GeluTanh:
      return at::gelu(x, "tanh");
    case Activation::Relu:
      return at::relu(x);
  }
  return x;
}

const at::Tensor& checked(const ParameterMap& head, const ParameterSpec& spec) {
  const at::Tensor& t = parameter(head, spec.name);
  if (t.sizes().vec() != spec.shape)
    throw InputError(fmt::format("MLM head: tensor \"{}\" has shape {} but the config implies {}", spec.name,
                                 shape_string(t.sizes().vec()), shape_string(spec.shape)));
  return t;
}

}  // namespace

std::vector<ParameterSpec> mlm_head_specs(const EncoderConfig& c) {
  if (c.architecture != Architecture::Bert)
    throw UsageError("the MLM head is BERT's (cls.predictions); model_type \"" + c.model_type + "\" has another");
  const std::int64_t h = c.hidden_size;
  return {{std::string(kDense) + ".weight", {h, h}},
          {std::string(kDense) + ".bias", {h}},
          {std::string(kNorm) + ".weight", {h}},
          {std::string(kNorm) + ".bias", {h}},
          {kBias, {c.vocab_size}}};
}

at::Tensor mlm_logits(const EncoderConfig& config, const ParameterMap& head, const ParameterMap& encoder,
                      const at::Tensor& hidden) {
  const auto specs = mlm_head_specs(config);
  const at::Tensor x = at::linear(hidden, checked(head, specs[0]), checked(head, specs[1]));
  const at::Tensor y = at::layer_norm(activate(config.activation, x), {config.hidden_size}, checked(head, specs[2]),
                                      checked(head, specs[3]), config.layer_norm_eps);
  const at::Tensor& words = parameter(encoder, embedding_names(config.architecture).word + ".weight");
  return at::linear(y, words, checked(head, specs[4]));
}

at::Tensor masked_lm_loss(const at::Tensor& logits, const at::Tensor& labels) {
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), labels.reshape({-1}).to(at::kLong), {},
                                at::Reduction::Mean, -100);
}

ParameterMap load_mlm_head(const Checkpoint& checkpoint, const EncoderConfig& config) {
  ParameterMap out;
  for (const ParameterSpec& spec : mlm_head_specs(config)) {
    if (!checkpoint.contains(spec.name))
      throw InputError(location(checkpoint.source()) +
                       fmt::format("tensor \"{}\" is missing; the folder holds no BERT MLM head", spec.name));
    const Array array = checkpoint.get(spec.name);
    if (array.shape() != spec.shape)
      throw InputError(location(checkpoint.file_of(spec.name)) +
                       fmt::format("tensor \"{}\" has shape {} but the config implies {}", spec.name,
                                   shape_string(array.shape()), shape_string(spec.shape)));
    out[spec.name] = as_tensor(array).to(at::kFloat);
    check_finite(out[spec.name], checkpoint.file_of(spec.name), spec.name);
  }
  return out;
}

}  // namespace taskscout
