// hf-dataset-selector ESM folders in and out of a registry (see hf_esm.hpp).
#include "taskscout/select/hf_esm.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "taskscout/core/error.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/scratch_dir.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/registry/source.hpp"

namespace taskscout {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// What a config value may be, per ESMConfig's signature (all Optional: null is allowed
// unless the field is required to be set).
enum class FieldType { String, Text, Integer, Number };

struct Field {
  const char* name;
  FieldType type;
  bool required;  // the key must be there (ESMConfig.to_dict writes every field)
};

// hfselect/esmconfig.py, in its order; `version` is what ESM reads to tell 0.1.0 files.
const Field kFields[] = {
    {"base_model_name", FieldType::String, true},
    {"task_id", FieldType::String, true},
    {"task_subset", FieldType::String, true},
    {"text_column", FieldType::Text, true},
    {"label_column", FieldType::String, true},
    {"task_split", FieldType::String, true},
    {"num_examples", FieldType::Integer, true},
    {"seed", FieldType::Integer, false},
    {"language", FieldType::String, false},
    {"esm_architecture", FieldType::String, true},
    {"esm_embedding_dim", FieldType::Integer, false},
    {"lm_num_epochs", FieldType::Integer, false},
    {"lm_batch_size", FieldType::Integer, false},
    {"lm_learning_rate", FieldType::Number, false},
    {"lm_weight_decay", FieldType::Number, false},
    {"lm_optimizer", FieldType::String, false},
    {"esm_num_epochs", FieldType::Integer, false},
    {"esm_batch_size", FieldType::Integer, false},
    {"esm_learning_rate", FieldType::Number, false},
    {"esm_weight_decay", FieldType::Number, false},
    {"esm_optimizer", FieldType::String, false},
    {"developers", FieldType::String, false},
    {"version", FieldType::String, false},
    // taskscout's own, which export-esm adds (hfselect keeps unknown keys as metadata): how
    // the map's embeddings were pooled, when that is not hfselect's rule for the base.
    {"taskscout_pooling", FieldType::String, false},
    {"taskscout_layer", FieldType::Integer, false},
};

// The keys transformers' PretrainedConfig.to_dict() adds to every config it writes.
const std::set<std::string> kPretrainedConfigKeys = {
    "_name_or_path",
    "_commit_hash",
    "_attn_implementation_autoset",
    "_attn_implementation_internal",
    "add_cross_attention",
    "architectures",
    "bad_words_ids",
    "begin_suppress_tokens",
    "bos_token_id",
    "chunk_size_feed_forward",
    "cross_attention_hidden_size",
    "decoder_start_token_id",
    "diversity_penalty",
    "do_sample",
    "early_stopping",
    "encoder_no_repeat_ngram_size",
    "eos_token_id",
    "exponential_decay_length_penalty",
    "finetuning_task",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "id2label",
    "is_decoder",
    "is_encoder_decoder",
    "label2id",
    "length_penalty",
    "max_length",
    "min_length",
    "model_type",
    "no_repeat_ngram_size",
    "num_beam_groups",
    "num_beams",
    "num_return_sequences",
    "output_attentions",
    "output_hidden_states",
    "output_scores",
    "pad_token_id",
    "prefix",
    "problem_type",
    "pruned_heads",
    "remove_invalid_values",
    "repetition_penalty",
    "return_dict",
    "return_dict_in_generate",
    "sep_token_id",
    "suppress_tokens",
    "task_specific_params",
    "temperature",
    "tf_legacy_loss",
    "tie_encoder_decoder",
    "tie_word_embeddings",
    "tokenizer_class",
    "top_k",
    "top_p",
    "torch_dtype",
    "torchscript",
    "transformers_version",
    "typical_p",
    "use_bfloat16",
};

// The mark export-esm puts in the metadata of the model.safetensors it writes (beside
// {"format": "pt"}, which torch's safetensors loaders expect).
constexpr const char* kExportMarkKey = "written_by";
constexpr const char* kExportMark = "taskscout registry export-esm";

std::string type_name(FieldType t) {
  switch (t) {
    case FieldType::String:
      return "a string or null";
    case FieldType::Text:
      return "a string, a list of strings or null";
    case FieldType::Integer:
      return "an integer or null";
    case FieldType::Number:
      return "a number or null";
  }
  return "";
}

bool has_type(const json& v, FieldType t) {
  if (v.is_null()) return true;
  switch (t) {
    case FieldType::String:
      return v.is_string();
    case FieldType::Text:
      return v.is_string() || (v.is_array() && !v.empty() &&
                               std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); }));
    case FieldType::Integer:
      return v.is_number_integer();
    case FieldType::Number:
      return v.is_number();
  }
  return false;
}

// Why this config cannot be imported, or "".
std::string check_config(const json& config, bool allow_unknown) {
  if (!config.is_object()) return "config.json is not a JSON object";
  for (const Field& f : kFields) {
    if (!config.contains(f.name)) {
      if (f.required) return fmt::format("config.json has no field \"{}\" (an ESMConfig field)", f.name);
      continue;
    }
    if (!has_type(config[f.name], f.type))
      return fmt::format("config.json field \"{}\" is {}, not {}", f.name, config[f.name].type_name(),
                         type_name(f.type));
  }
  for (const char* f : {"base_model_name", "task_id", "esm_architecture"})
    if (!config[f].is_string() || config[f].get<std::string>().empty())
      return fmt::format("config.json field \"{}\" is empty; an ESMConfig needs it set", f);
  if (config["num_examples"].is_number_integer() && config["num_examples"].get<std::int64_t>() < 0)
    return "config.json field \"num_examples\" is negative";
  if (!allow_unknown)
    for (const auto& [key, _] : config.items()) {
      const bool known =
          std::any_of(std::begin(kFields), std::end(kFields), [&](const Field& f) { return key == f.name; });
      if (!known && !kPretrainedConfigKeys.count(key))
        return fmt::format(
            "config.json has the field \"{}\", which hf-dataset-selector's ESMConfig does not define; pass "
            "--allow-unknown-fields to import it anyway (kept in the provenance)",
            key);
    }
  const std::string arch = config["esm_architecture"];
  if (arch != "linear")
    return fmt::format("esm_architecture \"{}\" is not supported; only \"linear\" ESMs (nn.Linear) can be imported",
                       arch);
  return "";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "org/name" → "name".
std::string last_component(const std::string& name) {
  std::string s = name;
  while (!s.empty() && s.back() == '/') s.pop_back();
  const auto slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// What the base folder knows of itself, read once per import.
struct BaseInfo {
  fs::path folder;
  std::string fingerprint, model_type, name_or_path, folder_name;
  std::int64_t hidden_size = 0;
};

BaseInfo read_base(const fs::path& base) {
  if (base.empty()) throw UsageError("the base model folder is required (--base): the ESMs map its embeddings");
  BaseInfo b;
  b.folder = base;
  const EncoderConfig config = read_encoder_config(base / "config.json");
  b.model_type = config.model_type;
  b.hidden_size = config.hidden_size;
  std::ifstream in(base / "config.json");
  const json raw = json::parse(in, nullptr, false);
  if (raw.is_object() && raw.contains("_name_or_path") && raw["_name_or_path"].is_string())
    b.name_or_path = raw["_name_or_path"];
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(base, ec);
  b.folder_name = (ec ? base : canonical).filename().string();
  b.fingerprint = base_model_fingerprint(base);
  return b;
}

// Why `base_model_name` does not name this base, or "". Offline there is no Hub to resolve
// the name, so it is compared with what the folder says of itself.
std::string check_base_name(const std::string& base_model_name, const BaseInfo& base, const std::string& asserted) {
  if (!asserted.empty()) {
    if (base_model_name == asserted) return "";
    return fmt::format("its base_model_name is \"{}\", not \"{}\" (--base-model-name): it belongs to another base",
                       base_model_name, asserted);
  }
  const std::string want = lower(last_component(base_model_name));
  if (!base.name_or_path.empty() && lower(last_component(base.name_or_path)) == want) return "";
  if (lower(base.folder_name) == want) return "";
  return fmt::format(
      "its base_model_name \"{}\" does not match the base folder {} (folder name \"{}\"{}); import it with that base, "
      "or pass --base-model-name \"{}\" if this folder is that model",
      base_model_name, base.folder.string(), base.folder_name,
      base.name_or_path.empty() ? "" : fmt::format(", _name_or_path \"{}\"", base.name_or_path), base_model_name);
}

// The linear map's tensors, under their current or their 0.1.0 names.
struct LinearWeights {
  Array weight, bias;
  std::string names;  // which names were found
};

LinearWeights read_weights(const fs::path& file, std::int64_t hidden_size, const json& config) {
  const SafetensorsFile st(file);
  std::string w = "model.weight", b = "model.bias";
  if (!st.contains(w) && !st.contains(b) && st.contains("sequential.0.weight")) {
    w = "sequential.0.weight";
    b = "sequential.0.bias";
  }
  for (const std::string& name : {w, b})
    if (!st.contains(name))
      throw InputError(
          fmt::format("model.safetensors has no tensor \"{}\" (it holds {}); an hfselect linear ESM has "
                      "model.weight and model.bias",
                      name, fmt::join(st.names(), ", ")));
  for (const auto& name : st.names())
    if (name != w && name != b)
      throw InputError(
          fmt::format("model.safetensors holds the tensor \"{}\" besides {} and {}: not a linear ESM", name, w, b));
  LinearWeights out{st.get(w), st.get(b), w + ", " + b};
  const auto& ws = out.weight.shape();
  const auto& bs = out.bias.shape();
  if (ws.size() != 2 || ws[0] != ws[1] || bs.size() != 1 || bs[0] != ws[0])
    throw InputError(fmt::format("{} has shape [{}] and {} shape [{}]; a linear ESM's are [D, D] and [D]", w,
                                 fmt::join(ws, ", "), b, fmt::join(bs, ", ")));
  if (ws[0] != hidden_size)
    throw InputError(
        fmt::format("the ESM maps {}-dimensional embeddings but the base has hidden size {}", ws[0], hidden_size));
  if (config.contains("esm_embedding_dim") && config["esm_embedding_dim"].is_number_integer() &&
      config["esm_embedding_dim"].get<std::int64_t>() != ws[0])
    throw InputError(fmt::format("config.json says esm_embedding_dim {} but {} is {}×{}",
                                 config["esm_embedding_dim"].get<std::int64_t>(), w, ws[0], ws[1]));
  for (Array* a : {&out.weight, &out.bias}) {
    if (a->dtype() == DType::I32 || a->dtype() == DType::I64)
      throw InputError(fmt::format("the ESM's tensors are {}, not floating point", dtype_name(a->dtype())));
    *a = a->to(DType::F32);
  }
  // Checked here (validate_esm checks again) to name the tensor as hfselect does.
  for (const auto& [array, name] : {std::pair{&out.weight, w}, std::pair{&out.bias, b}}) {
    const auto v = array->values<float>();
    const auto bad = std::find_if(v.begin(), v.end(), [](float x) { return !std::isfinite(x); });
    if (bad != v.end())
      throw InputError(fmt::format("{} has a non-finite value (element {}); the ESM is unusable: train it again", name,
                                   bad - v.begin()));
  }
  return out;
}

json read_config(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError("config.json cannot be read");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(fmt::format("config.json is not valid JSON ({})", e.what()));
  }
}

}  // namespace

std::size_t HfEsmImportResult::imported() const {
  return static_cast<std::size_t>(std::count_if(items.begin(), items.end(), [](const auto& i) { return i.imported; }));
}

std::string hf_esm_pooling(const std::string& model_type, const std::string& base_model_name) {
  if (model_type == "bert")
    return base_model_name.find("sentence-transformers") != std::string::npos ? "mean" : "pooler";
  return "cls";  // DistilBertModel and RobertaModel: the first token of the last layer
}

std::string hf_esm_source_name(const json& config, const std::string& prefix) {
  std::string name = prefix;
  const std::string task = config.value("task_id", "");
  for (std::size_t i = 0; i < task.size(); ++i) name += task[i] == '/' ? std::string("--") : std::string(1, task[i]);
  if (config.contains("task_subset") && config["task_subset"].is_string() &&
      !config["task_subset"].get<std::string>().empty())
    name += ":" + config["task_subset"].get<std::string>();
  return name;
}

std::vector<fs::path> find_hf_esm_folders(const std::vector<fs::path>& dirs) {
  auto is_esm_folder = [](const fs::path& d) {
    return fs::is_regular_file(d / "config.json") || fs::is_regular_file(d / "model.safetensors");
  };
  std::vector<fs::path> out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) throw IoError(location(dir.string()) + "no such folder");
    if (!fs::is_directory(dir, ec))
      throw InputError(location(dir.string()) +
                       "is a file; give an ESM folder (config.json and model.safetensors) or a folder of them");
    if (is_esm_folder(dir)) {
      out.push_back(dir);
      continue;
    }
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_directory() && is_esm_folder(it->path())) {
        found.push_back(it->path());
        it.disable_recursion_pending();  // an ESM folder's subfolders are not other ESMs
      }
    }
    if (ec) throw IoError(location(dir.string()) + "cannot list the folder: " + ec.message());
    if (found.empty())
      throw InputError(location(dir.string()) +
                       "holds no ESM folder (a folder with config.json and model.safetensors, as hfselect's "
                       "ESM.save_pretrained writes)");
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

HfEsmImportResult import_hf_esms(Registry& registry, const std::vector<fs::path>& dirs,
                                 const HfEsmImportOptions& options, const Progress& progress) {
  const BaseInfo base = read_base(options.base);
  const std::vector<fs::path> folders = find_hf_esm_folders(dirs);
  HfEsmImportResult result;
  std::map<std::string, std::string> taken;  // name → the folder of this import that took it
  ProgressPhase phase(progress, "importing", static_cast<std::int64_t>(folders.size()));
  ScratchDir scratch("taskscout-import-esm");
  for (std::size_t i = 0; i < folders.size(); ++i) {
    const fs::path& folder = folders[i];
    HfEsmImportItem item;
    item.folder = folder.string();
    phase.advance(static_cast<std::int64_t>(i), folder.filename().string());
    try {
      if (!fs::is_regular_file(folder / "config.json")) throw InputError("it has no config.json");
      if (!fs::is_regular_file(folder / "model.safetensors")) throw InputError("it has no model.safetensors");
      const json config = read_config(folder / "config.json");
      if (std::string why = check_config(config, options.allow_unknown_fields); !why.empty()) throw InputError(why);
      item.name = hf_esm_source_name(config, options.name_prefix);
      check_source_name(item.name, "the derived source name: ");
      const std::string base_model_name = config["base_model_name"];
      if (std::string why = check_base_name(base_model_name, base, options.base_model_name); !why.empty())
        throw InputError(why);
      const LinearWeights weights = read_weights(folder / "model.safetensors", base.hidden_size, config);
      item.dim = weights.weight.shape()[0];
      int layer = -1;
      item.pooling = hf_esm_pooling(base.model_type, base_model_name);
      if (config.contains("taskscout_pooling") && config["taskscout_pooling"].is_string()) {
        item.pooling = config["taskscout_pooling"];
        if (item.pooling != "cls" && item.pooling != "mean" && item.pooling != "pooler")
          throw InputError(fmt::format("taskscout_pooling \"{}\" is not cls, mean or pooler", item.pooling));
      }
      if (config.contains("taskscout_layer") && config["taskscout_layer"].is_number_integer())
        layer = config["taskscout_layer"].get<int>();
      if (auto it = taken.find(item.name); it != taken.end())
        throw InputError(
            fmt::format("the name \"{}\" is taken by {} in this import; give the folders distinct "
                        "task_id/task_subset, or import them separately with --name-prefix",
                        item.name, it->second));
      if (registry.find(item.name))
        throw InputError(
            fmt::format("the registry already has a source named \"{}\"; import with --name-prefix, or "
                        "remove it first (taskscout registry rm)",
                        item.name));

      Esm esm{weights.weight,
              weights.bias,
              {{"base_fingerprint", base.fingerprint},
               {"origin", "hf-dataset-selector"},
               {"pooling", item.pooling},
               {"layer", std::to_string(layer)}}};
      validate_esm(esm, "model.safetensors");  // finite values, shapes
      const fs::path esm_file = scratch.path() / fmt::format("esm-{}.safetensors", i);
      save_esm(esm_file, esm);

      NewSource source;
      SourceRecord& r = source.record;
      r.name = item.name;
      r.base_fingerprint = base.fingerprint;
      source.artifact_files[std::string(artifact_kind::kEsm)] = esm_file;
      r.provenance = {{"command", "registry import-esm"},
                      {"origin", "hf-dataset-selector"},
                      {"folder", fs::absolute(folder).string()},
                      {"base_model", fs::absolute(base.folder).string()},
                      {"hf_esm_config", config},
                      {"hf_esm_weights", weights.names},
                      {"esm_dim", item.dim},
                      // What the ESM was trained on, so that rank embeds the target the same way.
                      {"embedding", {{"pooling", item.pooling}, {"layer", layer}, {"from", "hf-dataset-selector"}}}};
      registry.add(source);  // one transaction: the source whole or not at all
      std::error_code ec;
      fs::remove(esm_file, ec);
      taken[item.name] = folder.string();
      item.imported = true;
    } catch (const InputError& e) {
      item.imported = false;
      item.reason = e.what();
    }
    result.items.push_back(std::move(item));
    phase.advance(static_cast<std::int64_t>(i + 1));
  }
  return result;
}

namespace {

// The ESMConfig of a source taskscout registered itself: what its record says, the rest null.
json native_config(const SourceRecord& s, std::int64_t dim) {
  json c = json::object();
  for (const Field& f : kFields)
    if (!std::string(f.name).starts_with("taskscout_") && std::string(f.name) != "version") c[f.name] = nullptr;
  const json& p = s.provenance;
  std::string base_name;
  if (p.contains("base_model") && p["base_model"].is_string())
    base_name = fs::path(p["base_model"].get<std::string>()).filename().string();
  c["base_model_name"] = base_name.empty() ? json(nullptr) : json(base_name);
  c["task_id"] = s.name;
  if (p.contains("embedding") && p["embedding"].is_object()) {
    const json& e = p["embedding"];
    if (e.contains("texts") && e["texts"].is_number_integer()) c["num_examples"] = e["texts"];
    if (e.contains("seed") && e["seed"].is_number_integer()) c["seed"] = e["seed"];
  }
  if (p.contains("fine_tune") && p["fine_tune"].is_object()) {
    const json& t = p["fine_tune"];
    if (t.contains("epochs") && t["epochs"].is_number_integer()) c["lm_num_epochs"] = t["epochs"];
    if (t.contains("batch_size") && t["batch_size"].is_number_integer()) c["lm_batch_size"] = t["batch_size"];
    if (t.contains("learning_rate") && t["learning_rate"].is_number()) c["lm_learning_rate"] = t["learning_rate"];
    if (t.contains("weight_decay") && t["weight_decay"].is_number()) c["lm_weight_decay"] = t["weight_decay"];
  }
  c["esm_architecture"] = "linear";
  c["esm_embedding_dim"] = dim;
  c["developers"] = nullptr;
  return c;
}

bool written_by_export(const fs::path& model_file) {
  try {
    const SafetensorsFile f(model_file);
    const auto it = f.metadata().find(kExportMarkKey);
    return it != f.metadata().end() && it->second == kExportMark;
  } catch (const std::exception&) {
    return false;
  }
}

// UsageError unless `folder` is absent or holds only what an earlier export wrote.
void check_export_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::exists(folder, ec)) return;
  if (!fs::is_directory(folder, ec))
    throw UsageError(fmt::format("{} exists and is not a folder; export elsewhere", folder.string()));
  for (const auto& e : fs::directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    if (name != "config.json" && name != "model.safetensors")
      throw UsageError(
          fmt::format("{} holds {}, which export-esm does not write: it was not written by taskscout; "
                      "export to another folder",
                      folder.string(), name));
  }
  if (!written_by_export(folder / "model.safetensors"))
    throw UsageError(
        fmt::format("{} exists and was not written by `taskscout registry export-esm` (its "
                    "model.safetensors has no such mark); export to another folder",
                    folder.string()));
}

}  // namespace

std::vector<HfEsmExportItem> export_hf_esms(const Registry& registry, const fs::path& out,
                                            const std::vector<std::string>& sources, const Progress& progress) {
  std::vector<SourceRecord> records;
  if (sources.empty()) {
    records = registry.list();
  } else {
    for (const auto& name : sources) records.push_back(registry.get(name));
  }
  OutputRule rule;
  rule.flag = "OUT_DIR";
  rule.inputs = {registry.folder()};
  rule.force = true;        // existing folders are judged below, one by one
  check_output(out, rule);  // never the registry or inside it
  // Everything is checked before the first file is written.
  for (const auto& r : records)
    if (r.defect.empty() && r.artifact(artifact_kind::kEsm)) check_export_folder(out / r.name);

  std::vector<HfEsmExportItem> items;
  ProgressPhase phase(progress, "exporting", static_cast<std::int64_t>(records.size()));
  for (std::size_t i = 0; i < records.size(); ++i) {
    const SourceRecord& r = records[i];
    HfEsmExportItem item{r.name, "", ""};
    if (!r.defect.empty()) {
      item.reason = "damaged registry entry: " + r.defect;
    } else if (!r.artifact(artifact_kind::kEsm)) {
      item.reason = "it has no ESM artifact";
    } else {
      const SafetensorsFile st = registry.open_artifact(r, artifact_kind::kEsm);
      const Array weight = st.get("weight").to(DType::F32), bias = st.get("bias").to(DType::F32);
      json config = r.provenance.contains("hf_esm_config") && r.provenance["hf_esm_config"].is_object()
                        ? r.provenance["hf_esm_config"]
                        : native_config(r, bias.numel());
      // Version 0.1.0 tells hfselect to expect the legacy sequential.0.* names; these are model.*.
      if (config.contains("version") && config["version"] == "0.1.0") config.erase("version");
      // The pooling the source records travels with it, so that importing it back keeps it.
      if (const json& e = r.provenance.value("embedding", json::object());
          e.is_object() && e.contains("pooling") && e["pooling"].is_string()) {
        config["taskscout_pooling"] = e["pooling"];
        config["taskscout_layer"] = e.contains("layer") && e["layer"].is_number_integer() ? e["layer"] : json(-1);
      }
      const fs::path folder = out / r.name;
      fs::create_directories(folder);
      write_safetensors(folder / "model.safetensors", {{"model.weight", weight}, {"model.bias", bias}},
                        {{"format", "pt"}, {kExportMarkKey, kExportMark}});
      write_file_atomically(folder / "config.json", config.dump(2) + "\n");
      item.folder = folder.string();
    }
    items.push_back(std::move(item));
    phase.advance(static_cast<std::int64_t>(i + 1), r.name);
  }
  return items;
}

}  // namespace taskscout
