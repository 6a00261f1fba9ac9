#include "taskscout/model/parameters.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/parameter_names.hpp"

namespace taskscout {

namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The layer index of a name under the layer prefix ("encoder.layer.12.…" → 12), or -1.
long long layer_index(const std::string& name, const std::string& prefix) {
  if (!starts_with(name, prefix)) return -1;
  const std::size_t end = name.find('.', prefix.size());
  try {
    return std::stoll(name.substr(prefix.size(), end - prefix.size()));
  } catch (const std::exception&) {
    return -1;
  }
}

void check_shape(const std::string& where, const std::string& name, const std::vector<std::int64_t>& shape,
                 const std::vector<std::int64_t>& expected) {
  if (shape != expected)
    throw InputError(location(where) + fmt::format("tensor \"{}\" has shape {} but the config implies {}", name,
                                                   shape_string(shape), shape_string(expected)));
}

// Layers the config does not have mean the config and the weights describe different models.
// `name` is without the prefix, `shown` as the file spells it.
void check_layer_count(const std::string& where, const std::string& name, const std::string& shown,
                       const EncoderConfig& c) {
  const long long layer = layer_index(name, layer_prefix(c.architecture));
  if (layer >= c.num_layers)
    throw InputError(location(where) + fmt::format("tensor \"{}\" belongs to layer {}, but the config's layer "
                                                   "count is {}: config and weights describe different models",
                                                   shown, layer, c.num_layers));
}

}  // namespace

ParameterMap load_parameters(const Checkpoint& checkpoint, const EncoderConfig& config) {
  // A checkpoint either prefixes every encoder tensor (task models) or none (base models).
  const std::string prefix = checkpoint_prefix(config.architecture);
  std::string strip;
  for (const std::string& name : checkpoint.names())
    if (starts_with(name, prefix)) strip = prefix;

  for (const std::string& full : checkpoint.names())
    if (starts_with(full, strip)) check_layer_count(checkpoint.file_of(full), full.substr(strip.size()), full, config);

  ParameterMap out;
  const std::vector<ParameterSpec> specs = parameter_specs(config);
  for (const ParameterSpec& spec : specs) {
    const std::string full = strip + spec.name;
    if (!checkpoint.contains(full)) {
      if (!spec.required) continue;
      throw InputError(location(checkpoint.source()) +
                       fmt::format("tensor \"{}\" is missing; a {} encoder needs it", full, config.model_type));
    }
    const std::string& file = checkpoint.file_of(full);
    const Array array = checkpoint.get(full);
    check_shape(file, full, array.shape(), spec.shape);
    if (array.dtype() != DType::F32 && array.dtype() != DType::F16 && array.dtype() != DType::BF16 &&
        array.dtype() != DType::F64)
      throw InputError(location(file) + fmt::format("tensor \"{}\" has dtype {}; parameters must be floating point",
                                                    full, dtype_name(array.dtype())));
    out[spec.name] = as_tensor(array).to(at::kFloat);
    check_finite(out[spec.name], file, full);
  }
  // The optional pooler comes whole or not at all.
  if (const std::string pooler = pooler_name(config.architecture); !pooler.empty())
    if (out.count(pooler + ".weight") != out.count(pooler + ".bias"))
      throw InputError(location(checkpoint.source()) +
                       fmt::format("the pooler is incomplete: \"{}\" has only one of weight and bias", strip + pooler));
  return out;
}

void check_parameters(const ParameterMap& parameters, const EncoderConfig& config, const std::string& source) {
  for (const auto& [name, tensor] : parameters) check_layer_count(source, name, name, config);
  for (const ParameterSpec& spec : parameter_specs(config)) {
    auto it = parameters.find(spec.name);
    if (it == parameters.end()) {
      if (spec.required) throw InputError(location(source) + fmt::format("tensor \"{}\" is missing", spec.name));
      continue;
    }
    check_shape(source, spec.name, it->second.sizes().vec(), spec.shape);
    if (it->second.scalar_type() != at::kFloat)
      throw InputError(location(source) + fmt::format("tensor \"{}\" is not float32", spec.name));
  }
}

void check_finite(const at::Tensor& tensor, const std::string& file, const std::string& name) {
  if (!tensor.is_floating_point() || tensor.numel() == 0 || at::isfinite(tensor).all().item<bool>()) return;
  const char* what = at::isnan(tensor).any().item<bool>() ? "NaN" : "an infinite value";
  throw InputError(location(file) +
                   fmt::format("tensor {} holds {}; the model is damaged — retrain or re-download it", name, what));
}

const at::Tensor& parameter(const ParameterMap& parameters, const std::string& name) {
  auto it = parameters.find(name);
  if (it == parameters.end()) throw InputError(fmt::format("the encoder parameter \"{}\" is missing", name));
  return it->second;
}

}  // namespace taskscout
