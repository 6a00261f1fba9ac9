#include "taskscout/model/composition_files.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/array.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/model_writer.hpp"
#include "taskscout/model/parameter_names.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace taskscout {

namespace {

const char* kCompositionName = "composition.json";
const char* kScaLearnWeights = "scalearn.safetensors";
const char* kFusionConfig = "adapter_fusion_config.json";
const char* kFusionWeights = "model_adapter_fusion.safetensors";
const char* kAdaptersFolder = "adapters";

bool is_fusion(const AdapterComposition& c) { return c.method == CompositionMethod::Fusion; }

// The library's "dynamic" fusion configuration, which taskscout computes.
json fusion_config() {
  return {{"key", true},
          {"query", true},
          {"value", true},
          {"query_before_ln", false},
          {"regularization", true},
          {"residual_before", false},
          {"temperature", false},
          {"value_before_softmax", true},
          {"value_initialized", true},
          {"dropout_prob", nullptr}};
}

// The tensors of adapter `name` in `adapters`.
ParameterMap tensors_of(const ParameterMap& adapters, const std::string& name) {
  const std::string infix = ".adapters." + name + ".";
  ParameterMap out;
  for (const auto& [tensor, t] : adapters)
    if (tensor.find(infix) != std::string::npos) out[tensor] = t;
  return out;
}

}  // namespace

bool is_composition_folder(const fs::path& folder) { return fs::is_regular_file(folder / kCompositionName); }

void write_composition_files(const fs::path& folder, const EncoderConfig& c, const CompositionFiles& f) {
  json sources = json::array();
  for (const ComposedSource& s : f.sources) {
    const fs::path sub = folder / kAdaptersFolder / s.adapter;
    fs::create_directories(sub);
    write_adapter_files(sub, c,
                        {s.config, f.base_model, tensors_of(f.adapters, s.adapter), s.head.head, s.head.labels});
    sources.push_back({{"adapter", s.adapter},
                       {"source", s.source},
                       {"digest", s.digest},
                       {"reduction_factor", s.config.reduction_factor}});
  }
  const json composition = {{"method", composition_method_name(f.composition.method)},
                            {"placement", f.placement == AdapterPlacement::Pfeiffer ? "pfeiffer" : "houlsby"},
                            {"base_model", f.base_model},
                            {"sources", sources}};
  write_file_atomically(folder / kCompositionName, composition.dump(2) + "\n");

  const std::string prefix = checkpoint_prefix(c.architecture);
  std::vector<std::pair<std::string, at::Tensor>> weights;
  for (const auto& [name, shape] : composition_specs(c, f.composition, f.placement))
    weights.emplace_back(prefix + name, parameter(f.weights, name));
  if (is_fusion(f.composition)) {
    json config = adapters_library_meta(c, f.composition.fusion_name(), f.base_model);
    config["config"] = fusion_config();
    config["adapter_names"] = f.composition.adapters;
    write_file_atomically(folder / kFusionConfig, config.dump(2) + "\n");
    write_tensors(folder / kFusionWeights, weights);
  } else {
    write_tensors(folder / kScaLearnWeights, weights);
  }
  write_flex_head(folder, c, f.head, f.composition.fusion_name(), f.base_model);
}

CompositionFiles read_composition_files(const fs::path& folder, const EncoderConfig& c) {
  const std::string path = (folder / kCompositionName).string();
  CompositionFiles f;
  json j;
  try {
    j = json::parse(MappedFile(folder / kCompositionName).text());
    f.composition.method = parse_composition_method(j.at("method").get<std::string>());
    f.placement = parse_adapter_placement(j.at("placement").get<std::string>());
    f.base_model = j.value("base_model", "");
    for (const json& s : j.at("sources")) {
      ComposedSource source;
      source.adapter = s.at("adapter").get<std::string>();
      source.source = s.value("source", "");
      source.digest = s.value("digest", "");
      f.sources.push_back(std::move(source));
    }
  } catch (const json::exception& e) {
    throw InputError(location(path) + "malformed: " + json_error_text(e));
  } catch (const UsageError& e) {
    throw InputError(location(path) + e.what());
  }
  if (f.sources.empty()) throw InputError(location(path) + "names no sources");

  for (ComposedSource& s : f.sources) {
    const fs::path sub = folder / kAdaptersFolder / s.adapter;
    if (s.adapter.empty() || s.adapter.find_first_of("./\\,") != std::string::npos || !fs::is_directory(sub))
      throw InputError(location(path) + fmt::format("the adapter folder {} is missing", sub.string()));
    AdapterFiles a = read_adapter_files(sub, c);
    if (a.config.name != s.adapter)
      throw InputError(location(sub.string()) + fmt::format("holds adapter \"{}\" where composition.json names \"{}\"",
                                                            a.config.name, s.adapter));
    if (a.config.placement != f.placement)
      throw InputError(location(sub.string()) + "its placement differs from the composition's");
    s.config = a.config;
    s.head = {std::move(a.head), std::move(a.labels)};
    for (auto& [name, t] : a.encoder) f.adapters[name] = std::move(t);
    f.composition.adapters.push_back(s.adapter);
  }

  const fs::path weights = folder / (is_fusion(f.composition) ? kFusionWeights : kScaLearnWeights);
  if (!fs::exists(weights)) throw InputError(location(folder.string()) + "no " + weights.filename().string());
  const SafetensorsFile file(weights);
  const std::string prefix = checkpoint_prefix(c.architecture);
  for (const auto& [name, shape] : composition_specs(c, f.composition, f.placement)) {
    if (!file.contains(prefix + name))
      throw InputError(location(weights.string()) + fmt::format("tensor \"{}\" is missing", prefix + name));
    at::Tensor t = as_tensor(file.get(prefix + name)).to(at::kFloat);
    if (t.sizes().vec() != shape)
      throw InputError(location(weights.string()) + fmt::format("tensor \"{}\" has shape {}; {} sources need {}",
                                                                prefix + name, shape_string(t.sizes().vec()),
                                                                f.sources.size(), shape_string(shape)));
    f.weights[name] = t;
  }
  f.head = read_flex_head(folder, f.composition.fusion_name());
  return f;
}

}  // namespace taskscout
