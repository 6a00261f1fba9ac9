#include "taskscout/model/lora.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
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

const std::string kPeftPrefix = "base_model.model.";
const char* kConfigName = "adapter_config.json";
const char* kWeightsName = "adapter_model.safetensors";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool targeted(const std::string& module, const std::vector<std::string>& targets) {
  for (const std::string& t : targets)
    if (module == t || ends_with(module, "." + t)) return true;
  return false;
}

std::vector<std::string> targets_of(const EncoderConfig& c, const LoraConfig& l) {
  return l.target_modules.empty() ? default_lora_targets(c.architecture) : l.target_modules;
}

}  // namespace

// The pooler is left out: it belongs to BERT's classification head, which LoRA does not adapt.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> linear_modules(const EncoderConfig& c) {
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> out;
  for (const ParameterSpec& s : parameter_specs(c))
    if (ends_with(s.name, ".weight") && s.shape.size() == 2 && starts_with(s.name, layer_prefix(c.architecture)))
      out.emplace_back(s.name.substr(0, s.name.size() - 7), s.shape);
  return out;
}

std::vector<std::string> default_lora_targets(Architecture a) {
  if (a == Architecture::DistilBert) return {"q_lin", "v_lin"};
  return {"query", "value"};
}

std::vector<std::string> lora_modules(const EncoderConfig& c, const LoraConfig& l) {
  if (l.rank < 1) throw UsageError(fmt::format("the LoRA rank must be at least 1, not {}", l.rank));
  if (!(l.alpha > 0)) throw UsageError(fmt::format("the LoRA alpha must be positive, not {}", l.alpha));
  const auto modules = linear_modules(c);
  std::vector<std::string> out;
  const std::vector<std::string> targets = targets_of(c, l);
  for (const std::string& t : targets) {
    bool any = false;
    for (const auto& [m, shape] : modules) any = any || m == t || ends_with(m, "." + t);
    if (!any) {
      std::vector<std::string> names;  // layer 0's modules, without the layer prefix
      const std::string first = layer_prefix(c.architecture) + "0.";
      for (const auto& [m, shape] : modules)
        if (starts_with(m, first)) names.push_back(m.substr(first.size()));
      throw UsageError(
          fmt::format("the LoRA target module \"{}\" matches no linear layer of this {} encoder; "
                      "each layer has: {}",
                      t, c.model_type, fmt::join(names, ", ")));
    }
  }
  for (const auto& [m, shape] : modules)
    if (targeted(m, targets)) out.push_back(m);
  return out;
}

ParameterMap init_lora(const EncoderConfig& c, const LoraConfig& l, std::uint64_t seed) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  ParameterMap out;
  const std::vector<std::string> chosen = lora_modules(c, l);
  for (const auto& [m, shape] : linear_modules(c)) {
    if (std::find(chosen.begin(), chosen.end(), m) == chosen.end()) continue;
    const double bound = 1.0 / std::sqrt(static_cast<double>(shape[1]));  // kaiming_uniform(a=√5)
    out[m + ".lora_A.weight"] = at::empty({l.rank, shape[1]}, at::kFloat).uniform_(-bound, bound, generator);
    out[m + ".lora_B.weight"] = at::zeros({shape[0], l.rank}, at::kFloat);
  }
  return out;
}

void write_lora_files(const fs::path& folder, const EncoderConfig& c, const LoraFiles& f) {
  const std::string prefix = checkpoint_prefix(c.architecture);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  // PEFT's modules_to_save: the head's top modules ("classifier", "pre_classifier") and a
  // trained pooler, each also under "score" by PEFT's SEQ_CLS default.
  std::vector<std::string> to_save{"classifier", "score"};
  for (const auto& [name, t] : f.encoder) {
    tensors.emplace_back(kPeftPrefix + prefix + name, t);
    if (starts_with(name, "pooler.") && std::find(to_save.begin(), to_save.end(), "pooler") == to_save.end())
      to_save.push_back("pooler");
  }
  for (const auto& [name, t] : f.head) {
    tensors.emplace_back(kPeftPrefix + name, t);
    const std::string top = name.substr(0, name.find('.'));
    if (std::find(to_save.begin(), to_save.end(), top) == to_save.end()) to_save.push_back(top);
  }
  const LoraConfig& l = f.config;
  json j = {{"peft_type", "LORA"},
            {"task_type", "SEQ_CLS"},
            {"base_model_name_or_path", f.base_model},
            {"r", l.rank},
            {"lora_alpha", l.alpha},
            {"lora_dropout", 0.0},
            {"target_modules", targets_of(c, l)},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"modules_to_save", to_save},
            {"inference_mode", true},
            {"init_lora_weights", true},
            {"use_rslora", false},
            {"use_dora", false},
            {"layers_to_transform", nullptr},
            {"layers_pattern", nullptr},
            {"rank_pattern", json::object()},
            {"alpha_pattern", json::object()},
            {"revision", nullptr}};
  write_file_atomically(folder / kConfigName, j.dump(2) + "\n");
  write_tensors(folder / kWeightsName, tensors);
}

bool is_lora_folder(const fs::path& folder) {
  if (!fs::is_regular_file(folder / kConfigName)) return false;
  try {
    const json j = json::parse(MappedFile(folder / kConfigName).text());
    return j.is_object() && j.value("peft_type", "") == "LORA";
  } catch (const std::exception&) {
    return false;
  }
}

LoraFiles read_lora_files(const fs::path& folder, const EncoderConfig& c) {
  const std::string config_path = (folder / kConfigName).string();
  auto fail = [&](const std::string& file, const std::string& what) { throw InputError(location(file) + what); };
  json j;
  try {
    j = json::parse(MappedFile(folder / kConfigName).text());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e999
    fail(config_path, std::string("not valid JSON: ") + json_error_text(e));
  }
  if (!j.is_object() || j.value("peft_type", "") != "LORA")
    fail(config_path, "not a PEFT LoRA config (peft_type must be \"LORA\")");
  LoraFiles f;
  try {
    f.config.rank = j.at("r").get<std::int64_t>();
    f.config.alpha = j.at("lora_alpha").get<double>();
    const json& targets = j.at("target_modules");
    if (targets.is_string())
      fail(config_path, "target_modules as a regular expression is not supported; list the modules");
    f.config.target_modules = targets.get<std::vector<std::string>>();
    f.base_model =
        j.value("base_model_name_or_path", json()).is_string() ? j["base_model_name_or_path"].get<std::string>() : "";
  } catch (const json::exception& e) {
    fail(config_path, std::string("a LoRA setting is missing or has the wrong type: ") + json_error_text(e));
  }
  auto is_set = [&](const char* key) {
    auto it = j.find(key);
    return it != j.end() && !it->is_null() && *it != false && !(it->is_object() && it->empty());
  };
  if (j.value("bias", "none") != "none")
    fail(config_path, "bias \"" + j["bias"].get<std::string>() + "\" is not supported; only \"none\"");
  for (const char* key :
       {"fan_in_fan_out", "use_rslora", "use_dora", "rank_pattern", "alpha_pattern", "layers_to_transform"})
    if (is_set(key)) fail(config_path, fmt::format("\"{}\" is set; taskscout computes plain LoRA only", key));
  std::vector<std::string> modules;
  try {
    modules = lora_modules(c, f.config);
  } catch (const UsageError& e) {  // a folder's settings are input, not usage
    fail(config_path, std::string(e.what()) + "; is this adapter for another base model?");
  }

  const fs::path weights = folder / kWeightsName;
  if (!fs::exists(weights))
    fail(folder.string(), fs::exists(folder / "adapter_model.bin")
                              ? "only adapter_model.bin (a pickle) is present; save with safetensors"
                              : "no adapter_model.safetensors");
  const SafetensorsFile file(weights);
  const std::string prefix = kPeftPrefix + checkpoint_prefix(c.architecture);
  std::map<std::string, std::vector<std::int64_t>> expected;
  for (const auto& [m, shape] : linear_modules(c))
    if (std::find(modules.begin(), modules.end(), m) != modules.end()) {
      expected[m + ".lora_A.weight"] = {f.config.rank, shape[1]};
      expected[m + ".lora_B.weight"] = {shape[0], f.config.rank};
    }
  const std::string pooler = pooler_name(c.architecture);
  for (const std::string& name : file.names()) {
    if (!starts_with(name, kPeftPrefix))
      fail(weights.string(), fmt::format("tensor \"{}\" does not start with \"{}\"", name, kPeftPrefix));
    const at::Tensor t = as_tensor(file.get(name)).to(at::kFloat);
    check_finite(t, weights.string(), name);
    if (starts_with(name, prefix)) {
      const std::string bare = name.substr(prefix.size());
      auto e = expected.find(bare);
      if (e != expected.end()) {
        if (t.sizes().vec() != e->second)
          fail(weights.string(), fmt::format("tensor \"{}\" has shape {} but rank {} on this base needs {}", name,
                                             shape_string(t.sizes().vec()), f.config.rank, shape_string(e->second)));
      } else if (pooler.empty() || !starts_with(bare, pooler + ".")) {
        fail(weights.string(), fmt::format("tensor \"{}\" is not a LoRA tensor of the targeted modules ({})", name,
                                           fmt::join(f.config.target_modules, ", ")));
      }
      f.encoder[bare] = t;
    } else {
      f.head[name.substr(kPeftPrefix.size())] = t;
    }
  }
  for (const auto& [name, shape] : expected)
    if (!f.encoder.count(name)) fail(weights.string(), fmt::format("tensor \"{}\" is missing", prefix + name));
  return f;
}

}  // namespace taskscout
