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
    case Pooling::Cls: return "cls";
    case Pooling::Mean: return "mean";
    case Pooling::Pooler: return "pooler";
  }
  return "";
}

const at::Tensor& select_layer(const EncoderOutput& output, int index) {
  if (output.hidden_states.empty()) {
    if (index == -1) return output.last_hidden_state;
    throw UsageError(fmt::format("layer {} needs all hidden states; only the last layer (-1) was kept", index));
  }
  const int n = static_cast<int>(output.hidden_states.size());
  const int i = index < 0 ? n + index : index;
  if (i < 0 || i >= n)
    throw UsageError(fmt::format("layer {} does not exist: there are {} hidden states (0 = embeddings, "
                                 "{} = last layer, negative counts from the end)",
                                 index, n, n - 1));
  return output.hidden_states[static_cast<std::size_t>(i)];
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
    case Pooling::Cls: return pool_cls(hidden);
    case Pooling::Mean: return pool_mean(hidden, attention_mask);
    case Pooling::Pooler: return pool_pooler(parameters, hidden);
  }
  throw Error("internal: unknown pooling");
}

}  // namespace taskscout
