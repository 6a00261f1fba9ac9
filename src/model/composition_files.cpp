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
#include "taskscout/model/lora.hpp"
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
const char* kLorasFolder = "loras";
const char* kLoraKind = "lora";

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

// The composition's tensors in `file`, under the model's prefix.
void write_weights(const fs::path& file, const EncoderConfig& c,
                   const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& specs,
                   const ParameterMap& weights) {
  const std::string prefix = checkpoint_prefix(c.architecture);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [name, shape] : specs) tensors.emplace_back(prefix + name, parameter(weights, name));
  write_tensors(file, tensors);
}

// Reads them back, each checked against its shape for `sources` sources.
ParameterMap read_weights(const fs::path& folder, const std::string& file_name, const EncoderConfig& c,
                          const std::vector<std::pair<std::string, std::vector<std::int64_t>>>& specs,
                          std::size_t sources) {
  const fs::path weights = folder / file_name;
  if (!fs::exists(weights)) throw InputError(location(folder.string()) + "no " + file_name);
  const SafetensorsFile file(weights);
  const std::string prefix = checkpoint_prefix(c.architecture);
  ParameterMap out;
  for (const auto& [name, shape] : specs) {
    if (!file.contains(prefix + name))
      throw InputError(location(weights.string()) + fmt::format("tensor \"{}\" is missing", prefix + name));
    at::Tensor t = as_tensor(file.get(prefix + name)).to(at::kFloat);
    if (t.sizes().vec() != shape)
      throw InputError(location(weights.string()) + fmt::format("tensor \"{}\" has shape {}; {} sources need {}",
                                                                prefix + name, shape_string(t.sizes().vec()), sources,
                                                                shape_string(shape)));
    out[name] = t;
  }
  return out;
}

// composition.json of a composition of `kind` ("adapter" or "lora", the key naming each
// source's folder; a file without "kind" composes adapters): the parsed object, with its
// method, base and sources. InputError naming the file when it composes the other kind, is
// malformed or names no sources.
struct CompositionJson {
  json j;
  CompositionMethod method = CompositionMethod::ScaLearn;
  std::string base_model;
  std::vector<ComposedSource> sources;
};

CompositionJson read_composition_json(const fs::path& folder, const std::string& kind) {
  const std::string path = (folder / kCompositionName).string();
  CompositionJson out;
  try {
    out.j = json::parse(MappedFile(folder / kCompositionName).text());
    if (const std::string has = out.j.value("kind", "adapter"); has != kind)
      throw InputError(location(path) + fmt::format("composes {}s, not {}s", has == kLoraKind ? "LoRA" : has,
                                                    kind == kLoraKind ? "LoRA" : kind));
    out.method = parse_composition_method(out.j.at("method").get<std::string>());
    out.base_model = out.j.value("base_model", "");
    for (const json& s : out.j.at("sources")) {
      ComposedSource source;
      source.adapter = s.at(kind).get<std::string>();
      source.source = s.value("source", "");
      source.digest = s.value("digest", "");
      out.sources.push_back(std::move(source));
    }
  } catch (const json::exception& e) {
    throw InputError(location(path) + "malformed: " + json_error_text(e));
  } catch (const UsageError& e) {
    throw InputError(location(path) + e.what());
  }
  if (out.sources.empty()) throw InputError(location(path) + "names no sources");
  return out;
}

// A source's folder under `kind_folder`, checked before a path is built from its name.
fs::path source_folder(const fs::path& folder, const char* kind_folder, const std::string& name) {
  const fs::path sub = folder / kind_folder / name;
  if (name.empty() || name.find_first_of("./\\,") != std::string::npos || !fs::is_directory(sub))
    throw InputError(location((folder / kCompositionName).string()) +
                     fmt::format("the {} folder {} is missing",
                                 std::string_view(kind_folder) == kLorasFolder ? "LoRA" : "adapter", sub.string()));
  return sub;
}

// A LoRA tensor's name in a source's own folder ("<module>.lora_A.weight") and in the
// composed model ("<module>.lora_A.<lora>.weight").
std::string composed_tensor_name(const std::string& bare, const std::string& lora) {
  const std::size_t at = bare.rfind(".lora_");
  return composed_lora_name(bare.substr(0, at), lora, bare.at(at + 6));
}
std::string bare_name(const std::string& composed) {
  const std::size_t at = composed.rfind(".lora_");
  return composed.substr(0, at) + ".lora_" + composed.at(at + 6) + ".weight";
}

}  // namespace

bool is_composition_folder(const fs::path& folder) { return fs::is_regular_file(folder / kCompositionName); }

bool is_lora_composition_folder(const fs::path& folder) {
  if (!is_composition_folder(folder)) return false;
  try {
    const json j = json::parse(MappedFile(folder / kCompositionName).text());
    return j.is_object() && j.value("kind", "") == kLoraKind;
  } catch (const std::exception&) {
    return false;
  }
}

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

  if (is_fusion(f.composition)) {
    json config = adapters_library_meta(c, f.composition.fusion_name(), f.base_model);
    config["config"] = fusion_config();
    config["adapter_names"] = f.composition.adapters;
    write_file_atomically(folder / kFusionConfig, config.dump(2) + "\n");
  }
  write_weights(folder / (is_fusion(f.composition) ? kFusionWeights : kScaLearnWeights), c,
                composition_specs(c, f.composition, f.placement), f.weights);
  write_flex_head(folder, c, f.head, f.composition.fusion_name(), f.base_model);
}

CompositionFiles read_composition_files(const fs::path& folder, const EncoderConfig& c) {
  const std::string path = (folder / kCompositionName).string();
  CompositionJson j = read_composition_json(folder, "adapter");
  CompositionFiles f;
  f.composition.method = j.method;
  f.base_model = j.base_model;
  f.sources = std::move(j.sources);
  try {
    f.placement = parse_adapter_placement(j.j.at("placement").get<std::string>());
  } catch (const json::exception& e) {
    throw InputError(location(path) + "malformed: " + json_error_text(e));
  } catch (const UsageError& e) {
    throw InputError(location(path) + e.what());
  }

  for (ComposedSource& s : f.sources) {
    const fs::path sub = source_folder(folder, kAdaptersFolder, s.adapter);
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
  f.weights = read_weights(folder, is_fusion(f.composition) ? kFusionWeights : kScaLearnWeights, c,
                           composition_specs(c, f.composition, f.placement), f.sources.size());
  f.head = read_flex_head(folder, f.composition.fusion_name());
  return f;
}

void write_lora_composition_files(const fs::path& folder, const EncoderConfig& c, const LoraCompositionFiles& f) {
  json sources = json::array();
  for (std::size_t k = 0; k < f.sources.size(); ++k) {
    const ComposedSource& s = f.sources[k];
    const fs::path sub = folder / kLorasFolder / s.adapter;
    fs::create_directories(sub);
    const std::string suffix = "." + s.adapter + ".weight";
    ParameterMap own;
    for (const auto& [name, t] : f.loras)
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
        own[bare_name(name)] = t;
    write_lora_files(sub, c, {f.composition.configs.at(k), f.base_model, own, {}});
    sources.push_back({{"lora", s.adapter}, {"source", s.source}, {"digest", s.digest}});
  }
  const json composition = {{"kind", kLoraKind},
                            {"method", composition_method_name(f.composition.method)},
                            {"base_model", f.base_model},
                            {"sources", sources}};
  write_file_atomically(folder / kCompositionName, composition.dump(2) + "\n");
  write_weights(folder / kScaLearnWeights, c, lora_composition_specs(c, f.composition), f.weights);
  write_flex_head(folder, c, f.head, f.composition.head_name(), f.base_model);
}

LoraCompositionFiles read_lora_composition_files(const fs::path& folder, const EncoderConfig& c) {
  const std::string path = (folder / kCompositionName).string();
  CompositionJson j = read_composition_json(folder, kLoraKind);
  LoraCompositionFiles f;
  f.composition.method = j.method;
  f.base_model = j.base_model;
  f.sources = std::move(j.sources);
  for (const ComposedSource& s : f.sources) {
    LoraFiles l = read_lora_files(source_folder(folder, kLorasFolder, s.adapter), c);
    for (auto& [name, t] : l.encoder)
      if (name.find(".lora_") != std::string::npos) f.loras[composed_tensor_name(name, s.adapter)] = std::move(t);
    f.composition.loras.push_back(s.adapter);
    f.composition.configs.push_back(l.config);
  }
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> specs;
  try {
    specs = lora_composition_specs(c, f.composition);
  } catch (const UsageError& e) {  // a folder's settings are input, not usage
    throw InputError(location(path) + e.what());
  }
  f.weights = read_weights(folder, kScaLearnWeights, c, specs, f.sources.size());
  f.head = read_flex_head(folder, f.composition.head_name());
  return f;
}

}  // namespace taskscout
