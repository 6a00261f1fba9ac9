#include "taskscout/model/pooling.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"

namespace taskscout {

Pooling parse_pooling(std::string_view name) {
  if (name == "cls") return Pooling::Cls;
  if (name == "mean") return Pooling::Mean;
  if (name == "pooler") return Pooling::Pooler;
  throw UsageError(fmt::format("unknown pooling \"{}\"; choose cls, mean or pooler", name));
}

std::string_view pooling_name(Pooling pooling) {
  switch (pooling) {
    case Pooling::Cls:
      return "cls";
    case Pooling::Mean:
      return "mean";
    case Pooling::Pooler:
      return "pooler";
  }
  return "";
}

std::int64_t resolve_layer(std::int64_t num_layers, int layer) {
  const std::int64_t i = layer < 0 ? num_layers + 1 + layer : layer;
  if (i < 0 || i > num_layers)
    throw UsageError(
        fmt::format("layer {} does not exist: 0 is the embeddings, 1..{} the layers, and negative "
                    "numbers count from the end (-1 = {})",
                    layer, num_layers, num_layers));
  return i;
}

const at::Tensor& select_layer(const EncoderOutput& output, int index) {
  if (output.hidden_states.empty()) {
    if (index == -1) return output.last_hidden_state;
    throw UsageError(fmt::format("layer {} needs all hidden states; only the last layer (-1) was kept", index));
  }
  const auto last = static_cast<std::int64_t>(output.hidden_states.size()) - 1;
  return output.hidden_states[static_cast<std::size_t>(resolve_layer(last, index))];
}

at::Tensor pool_cls(const at::Tensor& hidden) { return hidden.select(1, 0); }

at::Tensor pool_mean(const at::Tensor& hidden, const at::Tensor& attention_mask) {
  const at::Tensor m = attention_mask.to(hidden.scalar_type()).unsqueeze(-1);  // [B, L, 1]
  // A row with no tokens averages to zero instead of 0/0.
  return (hidden * m).sum(1) / m.sum(1).clamp_min(1.0);
}

at::Tensor pool_pooler(const ParameterMap& parameters, const at::Tensor& hidden) {
  auto w = parameters.find("pooler.dense.weight"), b = parameters.find("pooler.dense.bias");
  if (w == parameters.end() || b == parameters.end())
    throw InputError("this checkpoint has no pooler (pooler.dense); use cls or mean pooling");
  return at::tanh(at::linear(pool_cls(hidden), w->second, b->second));
}

at::Tensor pool(Pooling pooling, const ParameterMap& parameters, const at::Tensor& hidden,
                const at::Tensor& attention_mask) {
  switch (pooling) {
    case Pooling::Cls:
      return pool_cls(hidden);
    case Pooling::Mean:
      return pool_mean(hidden, attention_mask);
    case Pooling::Pooler:
      return pool_pooler(parameters, hidden);
  }
  throw Error("internal: unknown pooling");
}

}  // namespace taskscout
