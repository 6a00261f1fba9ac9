#include "taskscout/model/adapter.hpp"

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

const char* kConfigName = "adapter_config.json";
const char* kWeightsName = "adapter.safetensors";
const char* kHeadConfigName = "head_config.json";
const char* kHeadWeightsName = "model_head.safetensors";
const char* kVersion = "adapters.1.0.0";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The library's model class for a flex-head model of this architecture.
std::string adapter_model_class(Architecture a) {
  switch (a) {
    case Architecture::Bert:
      return "BertAdapterModel";
    case Architecture::Roberta:
      return "RobertaAdapterModel";
    case Architecture::XlmRoberta:
      return "XLMRobertaAdapterModel";
    case Architecture::DistilBert:
      return "DistilBertAdapterModel";
  }
  return "";
}

// Every adapter tensor with its shape, in forward order.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> adapter_specs(const EncoderConfig& c,
                                                                             const AdapterConfig& a) {
  const std::int64_t d = c.hidden_size, r = a.bottleneck(d);
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
  for (std::int64_t i = 0; i < c.num_layers; ++i) {
    const AdapterSites s = adapter_sites(c.architecture, i, a.name);
    for (const std::string& site : {s.attention, s.output}) {
      if (site == s.attention && a.placement != AdapterPlacement::Houlsby) continue;
      out.push_back({site + ".adapter_down.0.weight", {r, d}});
      out.push_back({site + ".adapter_down.0.bias", {r}});
      out.push_back({site + ".adapter_up.weight", {d, r}});
      out.push_back({site + ".adapter_up.bias", {d}});
    }
  }
  return out;
}

// The flex head's saved names: heads.<name>.1 is the dense layer, heads.<name>.4 the output
// (the library's Sequential is dropout, linear, tanh, dropout, linear).
std::string flex_head_name(const std::string& in_memory, const std::string& adapter) {
  if (starts_with(in_memory, "classifier.dense.")) return "heads." + adapter + ".1." + in_memory.substr(17);
  if (starts_with(in_memory, "classifier.out_proj.")) return "heads." + adapter + ".4." + in_memory.substr(20);
  throw UsageError(fmt::format("\"{}\" is not a tensor of the flex classification head", in_memory));
}

json read_json(const fs::path& path) {
  try {
    return json::parse(MappedFile(path).text());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    throw InputError(location(path.string()) + "not valid JSON: " + json_error_text(e));
  }
}

}  // namespace

json adapters_library_meta(const EncoderConfig& c, const std::string& name, const std::string& base_model) {
  return {{"hidden_size", c.hidden_size},
          {"model_class", adapter_model_class(c.architecture)},
          {"model_name", base_model},
          {"model_type", c.model_type},
          {"name", name},
          {"version", kVersion}};
}

std::int64_t AdapterConfig::bottleneck(std::int64_t hidden_size) const {
  return std::max<std::int64_t>(1, hidden_size / reduction_factor);
}

BottleneckOptions AdapterConfig::encode_options() const {
  BottleneckOptions o;
  o.name = name;
  o.original_ln_before = placement == AdapterPlacement::Pfeiffer;
  o.swish = placement == AdapterPlacement::Houlsby;
  return o;
}

AdapterPlacement parse_adapter_placement(const std::string& text) {
  if (text == "pfeiffer" || text == "seq_bn") return AdapterPlacement::Pfeiffer;
  if (text == "houlsby" || text == "double_seq_bn") return AdapterPlacement::Houlsby;
  throw UsageError(
      fmt::format("unknown adapter placement \"{}\"; use pfeiffer (seq_bn) or houlsby (double_seq_bn)", text));
}

AdapterSites adapter_locations(Architecture a, std::int64_t layer) {
  const std::string p = layer_prefix(a) + std::to_string(layer) + ".";
  if (a == Architecture::DistilBert) return {p + "attention_adapters", p + "output_adapters"};
  return {p + "attention.output", p + "output"};
}

AdapterSites adapter_sites(Architecture a, std::int64_t layer, const std::string& name) {
  const AdapterSites where = adapter_locations(a, layer);
  return {where.attention + ".adapters." + name, where.output + ".adapters." + name};
}

ParameterMap init_adapter(const EncoderConfig& c, const AdapterConfig& a, std::uint64_t seed) {
  if (a.reduction_factor < 1)
    throw UsageError(fmt::format("the adapter reduction factor must be at least 1, not {}", a.reduction_factor));
  if (a.name.empty() || a.name.find('.') != std::string::npos)
    throw UsageError(fmt::format("the adapter name \"{}\" must be non-empty and without dots", a.name));
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  ParameterMap out;
  for (const auto& [name, shape] : adapter_specs(c, a))
    out[name] = shape.size() == 1 ? at::zeros(shape, at::kFloat) : at::normal(0.0, 0.02, shape, generator);
  return out;
}

void write_adapter_files(const fs::path& folder, const EncoderConfig& c, const AdapterFiles& f) {
  const AdapterConfig& a = f.config;
  const bool houlsby = a.placement == AdapterPlacement::Houlsby;
  const json config = {{"adapter_residual_before_ln", false},
                       {"cross_adapter", false},
                       {"dropout", 0.0},
                       {"factorized_phm_W", true},
                       {"factorized_phm_rule", false},
                       {"hypercomplex_nonlinearity", "glorot-uniform"},
                       {"init_weights", "bert"},
                       {"inv_adapter", nullptr},
                       {"inv_adapter_reduction_factor", nullptr},
                       {"is_parallel", false},
                       {"learn_phm", true},
                       {"leave_out", json::array()},
                       {"ln_after", false},
                       {"ln_before", false},
                       {"mh_adapter", houlsby},
                       {"non_linearity", houlsby ? "swish" : "relu"},
                       {"original_ln_after", true},
                       {"original_ln_before", !houlsby},
                       {"output_adapter", true},
                       {"phm_bias", true},
                       {"phm_c_init", "normal"},
                       {"phm_dim", 4},
                       {"phm_init_range", 0.0001},
                       {"phm_layer", false},
                       {"phm_rank", 1},
                       {"reduction_factor", a.reduction_factor},
                       {"residual_before_ln", true},
                       {"scaling", 1.0},
                       {"shared_W_phm", false},
                       {"shared_phm_rule", true},
                       {"stochastic_depth", 0.0},
                       {"use_gating", false},
                       {"architecture", "bottleneck"}};
  json adapter_json = adapters_library_meta(c, a.name, f.base_model);
  adapter_json["config"] = config;
  write_file_atomically(folder / kConfigName, adapter_json.dump(2) + "\n");

  const std::string prefix = checkpoint_prefix(c.architecture);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& [name, shape] : adapter_specs(c, a)) tensors.emplace_back(prefix + name, parameter(f.encoder, name));
  write_tensors(folder / kWeightsName, tensors);

  write_flex_head(folder, c, {f.head, f.labels}, a.name, f.base_model);
}

void write_flex_head(const fs::path& folder, const EncoderConfig& c, const FlexHead& h, const std::string& name,
                     const std::string& base_model) {
  const std::int64_t num_labels = parameter(h.head, "classifier.out_proj.weight").size(0);
  json label2id = json::object();
  for (std::size_t i = 0; i < h.labels.size(); ++i) label2id[h.labels[i]] = i;
  json head_json = adapters_library_meta(c, name, base_model);
  head_json["config"] = {{"head_type", "classification"},
                         {"num_labels", num_labels},
                         {"layers", 2},
                         {"activation_function", "tanh"},
                         {"label2id", h.labels.empty() ? json(nullptr) : label2id},
                         {"use_pooler", false},
                         {"bias", true},
                         {"dropout_prob", nullptr}};
  write_file_atomically(folder / kHeadConfigName, head_json.dump(2) + "\n");
  std::vector<std::pair<std::string, at::Tensor>> head;
  for (const auto& [tensor, t] : h.head) head.emplace_back(flex_head_name(tensor, name), t);
  write_tensors(folder / kHeadWeightsName, head);
}

bool is_adapter_folder(const fs::path& folder) {
  if (!fs::is_regular_file(folder / kConfigName)) return false;
  try {
    const json j = json::parse(MappedFile(folder / kConfigName).text());
    return j.is_object() && j.contains("config") && j["config"].is_object() && !j.contains("peft_type");
  } catch (const std::exception&) {
    return false;
  }
}

AdapterFiles read_adapter_files(const fs::path& folder, const EncoderConfig& c) {
  const std::string config_path = (folder / kConfigName).string();
  auto fail = [](const std::string& file, const std::string& what) { throw InputError(location(file) + what); };
  const json j = read_json(folder / kConfigName);
  if (!j.is_object() || !j.contains("config") || !j["config"].is_object())
    fail(config_path, "not an adapters-library adapter config (no \"config\" object)");
  const json& k = j["config"];
  AdapterFiles f;
  try {
    f.config.name = j.at("name").get<std::string>();
    f.base_model = j.value("model_name", json()).is_string() ? j["model_name"].get<std::string>() : "";
    if (j.contains("hidden_size") && j["hidden_size"].get<std::int64_t>() != c.hidden_size)
      fail(config_path, fmt::format("the adapter was made for hidden size {}, the base has {}",
                                    j["hidden_size"].get<std::int64_t>(), c.hidden_size));
    const json& rf = k.at("reduction_factor");
    if (!rf.is_number() || rf.get<double>() != std::floor(rf.get<double>()) || rf.get<double>() < 1)
      fail(config_path, "reduction_factor must be one whole number (per-layer mappings are not supported)");
    f.config.reduction_factor = static_cast<std::int64_t>(rf.get<double>());
    const bool mh = k.at("mh_adapter").get<bool>(), output = k.at("output_adapter").get<bool>();
    const bool ln_before = k.value("original_ln_before", false);
    const std::string act = k.at("non_linearity").get<std::string>();
    if (output && !mh && ln_before && act == "relu")
      f.config.placement = AdapterPlacement::Pfeiffer;
    else if (output && mh && !ln_before && act == "swish")
      f.config.placement = AdapterPlacement::Houlsby;
    else
      fail(config_path, "only the Pfeiffer (seq_bn) and Houlsby (double_seq_bn) configurations are supported");
    const auto flag = [&](const char* key, const json& plain) {
      if (k.contains(key) && k[key] != plain)
        fail(config_path, fmt::format("\"{}\" is {}; taskscout computes only {}", key, k[key].dump(), plain.dump()));
    };
    flag("is_parallel", false);
    flag("phm_layer", false);
    flag("use_gating", false);
    flag("ln_before", false);
    flag("ln_after", false);
    flag("original_ln_after", true);
    flag("residual_before_ln", true);
    flag("adapter_residual_before_ln", false);
    flag("scaling", 1.0);
    flag("inv_adapter", nullptr);
    if (k.contains("leave_out") && !k["leave_out"].empty()) fail(config_path, "\"leave_out\" is not supported");
  } catch (const json::exception& e) {
    fail(config_path, std::string("an adapter setting is missing or has the wrong type: ") + json_error_text(e));
  }

  const std::string prefix = checkpoint_prefix(c.architecture);
  const fs::path weights = folder / kWeightsName;
  if (!fs::exists(weights))
    fail(folder.string(), fs::exists(folder / "pytorch_adapter.bin")
                              ? "only pytorch_adapter.bin (a pickle) is present; save with safetensors"
                              : "no adapter.safetensors");
  const SafetensorsFile file(weights);
  for (const auto& [name, shape] : adapter_specs(c, f.config)) {
    if (!file.contains(prefix + name)) fail(weights.string(), fmt::format("tensor \"{}\" is missing", prefix + name));
    const at::Tensor t = as_tensor(file.get(prefix + name)).to(at::kFloat);
    check_finite(t, weights.string(), prefix + name);
    if (t.sizes().vec() != shape)
      fail(weights.string(),
           fmt::format("tensor \"{}\" has shape {}; reduction factor {} on hidden size {} needs {}", prefix + name,
                       shape_string(t.sizes().vec()), f.config.reduction_factor, c.hidden_size, shape_string(shape)));
    f.encoder[name] = t;
  }
  if (file.names().size() != f.encoder.size())
    fail(weights.string(), fmt::format("holds {} tensors but a {} adapter on {} layers has {}", file.names().size(),
                                       f.config.placement == AdapterPlacement::Pfeiffer ? "Pfeiffer" : "Houlsby",
                                       c.num_layers, f.encoder.size()));

  FlexHead head = read_flex_head(folder, f.config.name);
  f.head = std::move(head.head);
  f.labels = std::move(head.labels);
  return f;
}

FlexHead read_flex_head(const fs::path& folder, const std::string& name) {
  auto fail = [](const std::string& file, const std::string& what) { throw InputError(location(file) + what); };
  FlexHead f;
  const json h = read_json(folder / kHeadConfigName);
  const std::string head_path = (folder / kHeadConfigName).string();
  if (!h.is_object() || !h.contains("config") || h["config"].value("head_type", "") != "classification")
    fail(head_path, "only a \"classification\" head is supported");
  const json& hc = h["config"];
  if (hc.value("layers", 2) != 2 || hc.value("activation_function", "tanh") != "tanh" || hc.value("use_pooler", false))
    fail(head_path, "only the 2-layer tanh classification head without pooler is supported");
  if (hc.contains("label2id") && hc["label2id"].is_object()) {
    f.labels.resize(hc["label2id"].size());
    for (const auto& [label, id] : hc["label2id"].items()) {
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::size_t>() >= f.labels.size() ||
          !f.labels[id.get<std::size_t>()].empty())
        fail(head_path, fmt::format("label2id must number the labels 0 to {} once each", f.labels.size() - 1));
      f.labels[id.get<std::size_t>()] = label;
    }
  }
  const SafetensorsFile head_file(folder / kHeadWeightsName);
  for (const char* in_memory :
       {"classifier.dense.weight", "classifier.dense.bias", "classifier.out_proj.weight", "classifier.out_proj.bias"}) {
    const std::string saved = flex_head_name(in_memory, name);
    if (!head_file.contains(saved)) fail(head_file.path(), fmt::format("tensor \"{}\" is missing", saved));
    f.head[in_memory] = as_tensor(head_file.get(saved)).to(at::kFloat);
    check_finite(f.head[in_memory], head_file.path(), saved);
  }
  return f;
}

}  // namespace taskscout
