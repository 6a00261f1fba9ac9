// The streaming merge pipeline (see merge.hpp): check every source against the base from
// the headers alone, then read, merge, write and release one tensor at a time.
#include "taskscout/compose/merge.hpp"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "taskscout/compose/merge_method.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/safetensors_writer.hpp"
#include "taskscout/model/checkpoint.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/model_writer.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/train/task_model.hpp"

namespace fs = std::filesystem;

namespace taskscout {
namespace {

enum class Kind { Full, Lora, Adapter };

const char* kind_name(Kind k) { return k == Kind::Full ? "full" : k == Kind::Lora ? "lora" : "adapter"; }

// A 64-bit checksum of the tensors read (xxHash64's round and avalanche over four lanes), at
// memory speed: SHA-256 (~1.5 GB/s here, on one thread) would add seconds to a merge of
// several BERT-base sources, about as long as merging them. It
// tells a changed source from the one merge.json records; it is not a guard against forgery
// (registry sources carry their blobs' SHA-256 instead).
class Checksum64 {
 public:
  void update(const void* data, std::size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    total_ += size;
    std::size_t i = 0;
    for (; i + 32 <= size; i += 32)
      for (int lane = 0; lane < 4; ++lane) lanes_[lane] = round(lanes_[lane], load(p + i + 8 * lane));
    for (; i + 8 <= size; i += 8) lanes_[0] = round(lanes_[0], load(p + i));
    for (; i < size; ++i) lanes_[1] = round(lanes_[1], p[i]);
  }
  std::string hex() const {
    std::uint64_t h = total_;
    for (std::uint64_t lane : lanes_) h = (h ^ round(0, lane)) * kPrime1 + kPrime4;
    h ^= h >> 33;
    h *= kPrime2;
    h ^= h >> 29;
    h *= kPrime3;
    h ^= h >> 32;
    return fmt::format("{:016x}", h);
  }

 private:
  static constexpr std::uint64_t kPrime1 = 11400714785074694791ULL, kPrime2 = 14029467366897019727ULL,
                                 kPrime3 = 1609587929392839161ULL, kPrime4 = 9650029242287828579ULL;
  static std::uint64_t load(const unsigned char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  static std::uint64_t round(std::uint64_t acc, std::uint64_t input) {
    acc += input * kPrime2;
    acc = (acc << 31) | (acc >> 33);
    return acc * kPrime1;
  }
  std::uint64_t lanes_[4] = {kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1};
  std::uint64_t total_ = 0;
};

// One source as the pipeline reads it.
struct Source {
  const MergeSource* given = nullptr;
  Kind kind = Kind::Full;
  EncoderConfig config;                        // full: its own config.json
  std::optional<Checkpoint> checkpoint;        // full
  LoraFiles lora;                              // lora
  AdapterFiles adapter;                        // adapter
  std::map<std::string, std::string> modules;  // lora: "<module>.weight" → module
  std::unique_ptr<SafetensorsFile> fisher;
  Checksum64 hash;  // of what is read, when no digest is given
  std::string what() const { return fmt::format("source \"{}\"", given->name); }
};

// The name a checkpoint stores a bare encoder name under: bare or with the task-model prefix.
std::optional<std::string> stored_name(const Checkpoint& c, const std::string& bare, Architecture a) {
  if (c.contains(bare)) return bare;
  if (const std::string p = checkpoint_prefix(a) + bare; c.contains(p)) return p;
  return std::nullopt;
}

// The architecture fields that make two configs the same network (not labels or dropout).
void check_same_architecture(const EncoderConfig& base, const EncoderConfig& c, const std::string& what,
                             const fs::path& file) {
  auto differ = [&](const char* field, auto a, auto b) {
    if (a != b)
      throw InputError(location(file.string()) +
                       fmt::format("{} has {} {} but the base has {}: it is not a fine-tuned copy of this base; "
                                   "merge only models trained from the same base",
                                   what, field, a, b));
  };
  differ("model_type", c.model_type, base.model_type);
  differ("vocab_size", c.vocab_size, base.vocab_size);
  differ("hidden_size", c.hidden_size, base.hidden_size);
  differ("num_hidden_layers", c.num_layers, base.num_layers);
  differ("num_attention_heads", c.num_heads, base.num_heads);
  differ("intermediate_size", c.intermediate_size, base.intermediate_size);
  differ("max_position_embeddings", c.max_position_embeddings, base.max_position_embeddings);
  differ("type_vocab_size", c.type_vocab_size, base.type_vocab_size);
  differ("pad_token_id", c.pad_token_id, base.pad_token_id);
}

// A source folder's own tokenizer must be the base's: the same ids must mean the same tokens.
void check_same_vocabulary(const fs::path& base, const fs::path& folder, const std::string& what) {
  for (const char* name : {"tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "sentencepiece.bpe.model"}) {
    if (!fs::is_regular_file(base / name) || !fs::is_regular_file(folder / name)) continue;
    const MappedFile a(base / name), b(folder / name);
    if (a.text() != b.text())
      throw InputError(location((folder / name).string()) +
                       fmt::format("{}'s vocabulary differs from the base's {}: its token ids mean other tokens; "
                                   "merge only models trained from the same base",
                                   what, (base / name).string()));
  }
}

// The base path a folder records (taskscout.json's base_model, else PEFT's or adapters').
std::string recorded_base(const fs::path& folder) {
  for (const auto& [file, key] :
       {std::pair{"taskscout.json", "base_model"}, std::pair{"adapter_config.json", "base_model_name_or_path"},
        std::pair{"adapter_config.json", "model_name"}}) {
    if (!fs::is_regular_file(folder / file)) continue;
    try {
      const auto j = nlohmann::json::parse(MappedFile(folder / file).text());
      if (j.is_object() && j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    } catch (const nlohmann::json::exception&) {
    }
  }
  return "";
}

// Refuses a source of another base: by the registry's fingerprint when known, else by the
// base folder the source records, when that folder still exists and is not the base itself.
void check_base(const Source& s, const fs::path& base, const std::function<const std::string&()>& base_fingerprint) {
  const MergeSource& g = *s.given;
  if (!g.base_fingerprint.empty()) {
    if (g.base_fingerprint != base_fingerprint())
      throw InputError(fmt::format(
          "{} was trained from another base (fingerprint {}…) than {} ({}…); merge sources of one base, "
          "over that base ({})",
          s.what(), g.base_fingerprint.substr(0, 12), base.string(), base_fingerprint().substr(0, 12), opt("base")));
    return;
  }
  const std::string recorded = recorded_base(g.folder);
  if (recorded.empty() || recorded == g.folder.string()) return;
  std::error_code ec;
  for (const fs::path& p : {fs::path(recorded), g.folder / recorded}) {
    if (!fs::exists(p / "config.json", ec)) continue;
    if (fs::equivalent(p, base, ec) || fs::equivalent(p, g.folder, ec)) return;
    if (base_model_fingerprint(p) != base_fingerprint())
      throw InputError(location(g.folder.string()) +
                       fmt::format("{} was trained from the base {}, which is not {}; merge sources of one base, "
                                   "over that base ({})",
                                   s.what(), p.string(), base.string(), opt("base")));
    return;
  }
}

// The output may not be, hold or lie inside an input: replacing the folder would destroy it.
void check_output_folder(const fs::path& out, const std::vector<fs::path>& inputs) {
  OutputRule rule;
  rule.inputs = inputs;
  rule.force = true;  // the folder rule is StagedFolder's
  check_output(out, rule);
  std::error_code ec;
  const fs::path o = fs::weakly_canonical(fs::absolute(out), ec);
  for (const fs::path& input : inputs) {
    const fs::path in = fs::weakly_canonical(fs::absolute(input), ec);
    const auto [a, b] = std::mismatch(o.begin(), o.end(), in.begin(), in.end());
    if (a == o.end())
      throw UsageError(fmt::format("{} {} holds the input {}; write the merged model elsewhere", opt("out"),
                                   out.string(), input.string()));
  }
  StagedFolder::check_target(out);
}

std::vector<double> resolve_weights(const MergeOptions& o, std::size_t k) {
  if (o.weights.empty()) return std::vector<double>(k, 1.0);
  if (o.weights.size() != k)
    throw UsageError(
        fmt::format("{} gives {} weights for {} sources; give one per source", opt("weights"), o.weights.size(), k));
  for (double w : o.weights)
    if (!std::isfinite(w)) throw UsageError(opt("weights") + " must be finite numbers");
  return o.weights;
}

nlohmann::ordered_json parameters_json(const MergeMethod& m, const MergeOptions& o) {
  nlohmann::ordered_json j;
  if (m.uses_base() && m.name() != "linear") j["lambda"] = o.lambda;
  if (m.uses_density()) j["density"] = o.density;
  if (m.name() == "breadcrumbs") j["gamma"] = o.gamma;
  if (m.uses_fisher()) j["fisher_floor"] = o.fisher_floor;
  if (m.uses_seed()) j["seed"] = o.seed;
  return j;
}

// An encoder map under bare names for LoRA and adapter outputs (the base's tensors as views).
TaskModel base_task_model(const fs::path& base, const EncoderConfig& config) {
  Encoder e = load_encoder(base);
  TaskModel m;
  m.config = config;
  m.encoder = std::move(e.parameters);
  m.base_folder = base;
  return m;
}

// merge.json's "sources": each source's name, kind, folder, weight and digest. A source
// given without one (a folder, not a registry entry) is named by the SHA-256 of its adapter
// files, or by `checksum` (a full model's tensors, summed as they were read).
nlohmann::ordered_json source_entries(const std::vector<Source>& sources, const std::vector<double>& weights,
                                      std::int64_t& bytes_read) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const MergeSource& g = *sources[k].given;
    std::string digest = g.digest;
    if (digest.empty() && sources[k].kind == Kind::Full) digest = "checksum64:" + sources[k].hash.hex();
    if (digest.empty()) {
      Sha256 h;
      for (const char* f : {"adapter_model.safetensors", "adapter.safetensors"})
        if (fs::is_regular_file(g.folder / f)) {
          const MappedFile file(g.folder / f);
          h.update(file.data(), file.size());
          bytes_read += static_cast<std::int64_t>(file.size());
        }
      digest = h.finish_hex();
    }
    list.push_back({{"name", g.name},
                    {"kind", kind_name(sources[k].kind)},
                    {"folder", fs::absolute(g.folder).lexically_normal().string()},
                    {"weight", weights[k]},
                    {"digest", digest}});
  }
  return list;
}

}  // namespace

MergeSummary merge_models(const std::vector<MergeSource>& given, const fs::path& base, const fs::path& out,
                          const MergeOptions& o) {
  const auto started = std::chrono::steady_clock::now();
  c10::InferenceMode inference;
  // Options first: nothing is read before they are known to be usable.
  if (given.empty())
    throw UsageError("no sources to merge; give at least one (" + opt("models") + " or " + opt("sources") + ")");
  const MergeMethod& method = find_merge_method(o.method);
  MergeParameters params{o.lambda, o.density, o.gamma, o.fisher_floor, o.seed, {}};
  method.check(params);
  if (!std::isfinite(o.lambda)) throw UsageError(opt("lambda") + " must be a finite number");
  const std::vector<double> weights = resolve_weights(o, given.size());
  if (!method.uses_base() || method.name() == "linear") {
    double sum = 0;
    for (double w : weights) sum += w;
    if (sum == 0)
      throw UsageError(
          fmt::format("{} divides by the sum of the weights, which is 0; change {}", method.name(), opt("weights")));
  }
  std::set<std::string> names;
  std::vector<fs::path> inputs{base};
  for (const MergeSource& s : given) {
    if (!names.insert(s.name).second)
      throw UsageError(
          fmt::format("source \"{}\" is given twice; give each source once (use {} to weigh one "
                      "more)",
                      s.name, opt("weights")));
    std::error_code ec;
    for (const fs::path& seen : inputs)
      if (fs::exists(seen, ec) && fs::exists(s.folder, ec) && fs::equivalent(seen, s.folder, ec))
        throw UsageError(fmt::format("source \"{}\" ({}) is given twice (or is the base); give each source once",
                                     s.name, s.folder.string()));
    inputs.push_back(s.folder);
  }
  if (o.head != "fresh" && !names.count(o.head))
    throw UsageError(
        fmt::format("{} {}: no such source; use fresh or one of {}", opt("head"), o.head, fmt::join(names, ", ")));
  check_output_folder(out, inputs);

  // The base.
  if (!fs::is_regular_file(base / "config.json"))
    throw InputError(location(base.string()) +
                     "the base model folder has no config.json; pass the folder the "
                     "sources were fine-tuned from as " +
                     opt("base"));
  EncoderConfig base_config = read_encoder_config(base / "config.json");
  base_config.architectures.clear();
  base_config.labels.clear();
  base_config.problem_type.clear();
  const Checkpoint base_ckpt = Checkpoint::open(base);
  std::string base_fp;
  auto base_fingerprint = [&]() -> const std::string& {
    if (base_fp.empty()) base_fp = base_model_fingerprint(base);
    return base_fp;
  };

  // Every source, checked from its config and headers.
  std::vector<Source> sources(given.size());
  for (std::size_t k = 0; k < given.size(); ++k) {
    Source& s = sources[k];
    s.given = &given[k];
    const fs::path& folder = given[k].folder;
    if (!fs::is_directory(folder))
      throw InputError(location(folder.string()) + fmt::format("{}: no such model folder", s.what()));
    if (is_lora_folder(folder)) {
      s.kind = Kind::Lora;
      s.lora = read_lora_files(folder, base_config);
      for (const std::string& m : lora_modules(base_config, s.lora.config)) s.modules[m + ".weight"] = m;
    } else if (is_adapter_folder(folder)) {
      s.kind = Kind::Adapter;
      s.adapter = read_adapter_files(folder, base_config);
    } else if (fs::is_regular_file(folder / "config.json")) {
      s.kind = Kind::Full;
      s.config = read_encoder_config(folder / "config.json");
      check_same_architecture(base_config, s.config, s.what(), folder / "config.json");
      s.checkpoint = Checkpoint::open(folder);
    } else {
      throw InputError(location(folder.string()) +
                       fmt::format("{} is neither a model folder (config.json) nor a LoRA or adapter folder "
                                   "(adapter_config.json)",
                                   s.what()));
    }
    check_same_vocabulary(base, folder, s.what());
    check_base(s, base, base_fingerprint);
    if (method.uses_fisher()) {
      if (s.kind != Kind::Full)
        throw InputError(
            fmt::format("{} is a {} folder: fisher merging weighs full parameters by their Fisher "
                        "information; merge LoRA or adapter sources with another method",
                        s.what(), kind_name(s.kind)));
      const fs::path f = given[k].fisher.empty() ? folder / kParameterFisherFile : given[k].fisher;
      if (!fs::is_regular_file(f))
        throw InputError(
            fmt::format("{} has no parameter Fisher ({}), which {} fisher needs: register the source "
                        "with `taskscout register --method full --parameter-fisher N` and merge it from the "
                        "registry, or use another method",
                        s.what(), given[k].digest.empty() ? f.string() + " is missing" : "no parameter_fisher artifact",
                        opt("method")));
      s.fisher = std::make_unique<SafetensorsFile>(f);
    }
  }
  std::set<Kind> kinds;
  for (const Source& s : sources) kinds.insert(s.kind);
  if (kinds.count(Kind::Adapter) && kinds.size() > 1)
    throw InputError(
        "adapter sources merge only with other adapter sources (their tensors are not the base's); "
        "merge the adapters and the full or LoRA models separately");
  if (kinds.count(Kind::Adapter) && method.name() != "linear")
    throw UsageError(
        fmt::format("adapter sources merge by parameter averaging only (as the adapters library's "
                    "average_adapter): use {} linear, not {}",
                    opt("method"), method.name()));
  const std::vector<double> coefficients = method.task_vector_coefficients(weights, params);
  const bool all_lora = kinds.size() == 1 && kinds.count(Kind::Lora);
  const bool adapters = kinds.count(Kind::Adapter) > 0;
  const bool peft = all_lora && !coefficients.empty() && !o.fold_lora;

  // The head source, its labels checked against the target's.
  std::optional<TaskModel> head_model;
  std::size_t head_index = 0;
  if (o.head != "fresh") {
    while (given[head_index].name != o.head) ++head_index;
    head_model = load_task_model(given[head_index].folder, base);
    if (!o.labels.empty() && head_model->config.labels != o.labels)
      throw InputError(
          fmt::format("{0} {1}: that source predicts [{2}] but the target's labels are [{3}]; use "
                      "{0} fresh (a new head, trained on the target)",
                      opt("head"), o.head, fmt::join(head_model->config.labels, ", "), fmt::join(o.labels, ", ")));
  }

  MergeSummary summary;
  summary.out = out;
  summary.source_kind = fmt::format("{}", fmt::join(
                                              [&] {
                                                std::vector<std::string> v;
                                                for (Kind k : kinds) v.push_back(kind_name(k));
                                                return v;
                                              }(),
                                              "+"));
  summary.output_kind = adapters ? "adapter" : peft ? "lora" : o.head == "fresh" ? "model" : "classifier";

  nlohmann::ordered_json recipe;
  recipe["format"] = "taskscout-merge";
  recipe["method"] = std::string(method.name());
  recipe["formula"] = std::string(method.formula());
  recipe["parameters"] = parameters_json(method, o);
  recipe["head"] = o.head;
  recipe["output"] = summary.output_kind;
  recipe["base"] = {{"folder", fs::absolute(base).lexically_normal().string()}};

  // One pass, no temporaries: whether every merged entry is finite, and against the base
  // (when there is one) ‖θ₀‖², ‖θ − θ₀‖² and the entries changed, in float64. Each block of
  // kStatsBlock entries has its own partial sums, added in order after the loop: the
  // figures do not depend on the thread count.
  auto stats = [&](const std::string& name, const at::Tensor& merged, const at::Tensor& base_t) {
    constexpr std::int64_t kStatsBlock = 1 << 16;
    const at::Tensor a = merged.to(at::kFloat).contiguous();
    const at::Tensor b = base_t.defined() ? base_t.to(at::kFloat).contiguous() : at::Tensor();
    const float *x = a.data_ptr<float>(), *y = b.defined() ? b.data_ptr<float>() : nullptr;
    struct Partial {
      double base2 = 0, delta2 = 0, changed = 0;
      bool finite = true;
    };
    std::vector<Partial> partials(static_cast<std::size_t>((a.numel() + kStatsBlock - 1) / kStatsBlock));
    at::parallel_for(0, static_cast<std::int64_t>(partials.size()), 1, [&](std::int64_t first, std::int64_t last) {
      for (std::int64_t block = first; block < last; ++block) {
        const std::int64_t begin = block * kStatsBlock, end = std::min(a.numel(), begin + kStatsBlock);
        Partial& p = partials[static_cast<std::size_t>(block)];
        std::uint32_t nonfinite = 0;  // an exponent of all ones: Inf or NaN (integer tests vectorize)
        for (std::int64_t i = begin; i < end; ++i) {
          std::uint32_t bits;
          std::memcpy(&bits, x + i, 4);
          nonfinite |= (bits & 0x7f800000u) == 0x7f800000u;
        }
        p.finite = nonfinite == 0;
        if (y)
          for (std::int64_t i = begin; i < end; ++i) {
            const double d = static_cast<double>(x[i]) - y[i];
            p.base2 += static_cast<double>(y[i]) * y[i];
            p.delta2 += d * d;
            p.changed += x[i] != y[i];
          }
      }
    });
    double base2 = 0, delta2 = 0, changed = 0;
    bool finite = true;
    for (const Partial& p : partials) base2 += p.base2, delta2 += p.delta2, changed += p.changed, finite &= p.finite;
    if (!finite)
      throw InputError(
          fmt::format("merging tensor \"{}\" gave a value that is not finite; check the sources' "
                      "weights for NaN or Inf, and {} and {}",
                      name, opt("weights"), opt("lambda")));
    MergedTensor t{name, merged.sizes().vec(), 0, 0, 0};
    if (y) {
      t.base_norm = std::sqrt(base2);
      t.delta_norm = std::sqrt(delta2);
      t.changed = a.numel() ? changed / static_cast<double>(a.numel()) : 0;
    }
    summary.tensors.push_back(t);
  };

  if (adapters || peft) {
    // Small outputs: every tensor of a LoRA or adapter is held at once, the base only mapped.
    TaskModel m = base_task_model(base, base_config);
    ParameterMap added;
    if (adapters) {
      m.method = FineTuneMethod::Adapter;
      m.head_style = HeadStyle::Flex;
      m.adapter = sources[0].adapter.config;
      const std::string site = ".adapters." + m.adapter.name + ".";
      for (std::size_t k = 0; k < sources.size(); ++k) {
        const AdapterConfig& c = sources[k].adapter.config;
        if (c.placement != m.adapter.placement || c.reduction_factor != m.adapter.reduction_factor)
          throw InputError(location(given[k].folder.string()) +
                           fmt::format("{} is a {} adapter with reduction factor {}, but {} is {} with {}: "
                                       "average only adapters of one configuration",
                                       sources[k].what(),
                                       c.placement == AdapterPlacement::Pfeiffer ? "Pfeiffer" : "Houlsby",
                                       c.reduction_factor, sources[0].what(),
                                       m.adapter.placement == AdapterPlacement::Pfeiffer ? "Pfeiffer" : "Houlsby",
                                       m.adapter.reduction_factor));
      }
      for (const auto& [name0, t0] : sources[0].adapter.encoder) {
        std::vector<at::Tensor> per_source;
        for (std::size_t k = 0; k < sources.size(); ++k) {
          // Adapters of other names hold the same tensors under their own name.
          std::string name = name0;
          if (const auto at = name.find(site); at != std::string::npos)
            name.replace(at, site.size(), ".adapters." + sources[k].adapter.config.name + ".");
          const auto it = sources[k].adapter.encoder.find(name);
          if (it == sources[k].adapter.encoder.end() || !it->second.sizes().equals(t0.sizes()))
            throw InputError(location(given[k].folder.string()) +
                             fmt::format("{} has no adapter tensor {} of shape {}: average only adapters of one "
                                         "configuration",
                                         sources[k].what(), name, shape_string(t0.sizes().vec())));
          per_source.push_back(it->second);
        }
        const at::Tensor base_t = m.encoder.count(name0) ? m.encoder.at(name0) : at::Tensor();
        added[name0] = method.merge(tensor_inputs(name0, base_t.defined() ? base_t : t0, per_source, weights), params);
        stats(name0, added[name0], base_t);
      }
    } else {
      m.method = FineTuneMethod::Lora;
      std::int64_t rank = 0;
      std::set<std::string> targets;
      std::set<std::string> modules;
      for (const Source& s : sources) {
        rank += s.lora.config.rank;
        for (const std::string& t : s.lora.config.target_modules.empty()
                                        ? default_lora_targets(base_config.architecture)
                                        : s.lora.config.target_modules)
          targets.insert(t);
        for (const auto& [w, module] : s.modules) modules.insert(module);
      }
      m.lora.rank = rank;
      m.lora.alpha = static_cast<double>(rank);  // scaling 1: the coefficients sit in B
      m.lora.target_modules.assign(targets.begin(), targets.end());
      for (const std::string& module : modules) {
        std::vector<at::Tensor> as, bs;
        for (std::size_t k = 0; k < sources.size(); ++k) {
          const Source& s = sources[k];
          const at::Tensor& w = parameter(m.encoder, module + ".weight");
          const auto a = s.lora.encoder.find(module + ".lora_A.weight");
          if (a == s.lora.encoder.end()) {  // this source leaves the module as the base has it
            as.push_back(at::zeros({s.lora.config.rank, w.size(1)}));
            bs.push_back(at::zeros({w.size(0), s.lora.config.rank}));
            continue;
          }
          as.push_back(a->second);
          bs.push_back(
              parameter(s.lora.encoder, module + ".lora_B.weight").mul(coefficients[k] * s.lora.config.scaling()));
        }
        added[module + ".lora_A.weight"] = at::cat(as, 0);
        added[module + ".lora_B.weight"] = at::cat(bs, 1);
        const at::Tensor& w = parameter(m.encoder, module + ".weight");
        stats(module + ".weight", w.add(at::matmul(added[module + ".lora_B.weight"], added[module + ".lora_A.weight"])),
              w);
      }
      // Full tensors a LoRA folder holds besides its LoRA (a pooler trained with it).
      std::set<std::string> extra;
      for (const Source& s : sources)
        for (const auto& [name, t] : s.lora.encoder)
          if (name.find(".lora_") == std::string::npos) extra.insert(name);
      for (const std::string& name : extra) {
        const auto b = m.encoder.find(name);
        std::vector<at::Tensor> per_source;
        for (std::size_t k = 0; k < sources.size(); ++k) {
          const auto it = sources[k].lora.encoder.find(name);
          if (it != sources[k].lora.encoder.end())
            per_source.push_back(it->second);
          else if (b != m.encoder.end())
            per_source.push_back(b->second);
          else
            throw InputError(
                fmt::format("{} has no tensor {} that {} trained, and the base has none: merge "
                            "sources trained with the same modules",
                            sources[k].what(), name, sources[0].what()));
        }
        const at::Tensor base_t = b != m.encoder.end() ? b->second : per_source[0];
        added[name] = method.merge(tensor_inputs(name, base_t, per_source, weights), params);
        stats(name, added[name], b != m.encoder.end() ? b->second : at::Tensor());
      }
      m.encode.lora_scaling = m.lora.scaling();
    }
    for (auto& [name, t] : added) {
      m.encoder[name] = t;
      m.added.push_back(name);
    }
    if (head_model) {
      m.head = head_model->head;
      m.config.labels = head_model->config.labels;
      m.config.problem_type = head_model->config.problem_type;
      m.max_length = head_model->max_length;
      if (!adapters && m.config.architecture == Architecture::Bert && !m.encoder.count("pooler.dense.weight")) {
        m.encoder["pooler.dense.weight"] = parameter(head_model->encoder, "pooler.dense.weight");
        m.encoder["pooler.dense.bias"] = parameter(head_model->encoder, "pooler.dense.bias");
        m.added.push_back("pooler.dense.weight");
        m.added.push_back("pooler.dense.bias");
      }
    } else {
      // A placeholder head so the folder loads; `train --init-from` trains a fresh one.
      const TaskModel first = load_task_model(given[0].folder, base);
      m.config.labels = o.labels.empty() ? first.config.labels : o.labels;
      m.config.problem_type = o.labels.empty() ? first.config.problem_type : "single_label_classification";
      m.max_length = first.max_length;
      const auto n = static_cast<std::int64_t>(m.config.labels.size());
      for (auto& [name, t] : init_head(m.config, n, o.seed, m.encoder, m.head_style)) {
        if (name.rfind("pooler.", 0) == 0) {
          m.encoder[name] = t;
          m.added.push_back(name);
        } else {
          m.head[name] = t;
        }
      }
    }
    if (m.config.architectures.empty()) m.config.architectures = {sequence_classification_class(m.config.architecture)};
    recipe["sources"] = source_entries(sources, weights, summary.bytes_read);
    if (peft) recipe["lora"] = {{"rank", m.lora.rank}, {"alpha", m.lora.alpha}};
    summary.recipe = recipe;
    save_task_model(out, m, {{"merge.json", recipe.dump(2) + "\n"}});
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return summary;
  }

  // Full (and folded LoRA) merges, streamed. The tensor list comes from the base's config:
  // the pooler joins when the base and every source have one.
  const Architecture arch = base_config.architecture;
  auto source_has = [&](const Source& s, const std::string& name) {
    if (s.kind == Kind::Full) return stored_name(*s.checkpoint, name, arch).has_value();
    return s.lora.encoder.count(name) > 0 || stored_name(base_ckpt, name, arch).has_value();
  };
  std::vector<ParameterSpec> specs;
  for (const ParameterSpec& spec : parameter_specs(base_config)) {
    const bool in_base = stored_name(base_ckpt, spec.name, arch).has_value();
    if (!spec.required) {
      bool everywhere = in_base;
      for (const Source& s : sources) everywhere = everywhere && source_has(s, spec.name);
      if (!everywhere) continue;
    } else if (!in_base) {
      throw InputError(location(base_ckpt.source()) + fmt::format("the base has no tensor \"{}\"", spec.name));
    }
    specs.push_back(spec);
  }
  // Shapes and dtypes from the headers, before anything is merged.
  auto check_tensor = [&](const Array& a, const ParameterSpec& spec, const std::string& what, const std::string& file) {
    if (a.shape() != spec.shape)
      throw InputError(location(file) + fmt::format("{} has tensor \"{}\" of shape {}, the base {}: it is not a "
                                                    "fine-tuned copy of this base",
                                                    what, spec.name, shape_string(a.shape()),
                                                    shape_string(spec.shape)));
    if (a.dtype() == DType::I32 || a.dtype() == DType::I64)
      throw InputError(location(file) + fmt::format("{} has tensor \"{}\" of an integer dtype", what, spec.name));
  };
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const Source& s = sources[k];
    for (const ParameterSpec& spec : specs) {
      if (s.kind == Kind::Full) {
        const auto n = stored_name(*s.checkpoint, spec.name, arch);
        if (!n)
          throw InputError(location(s.checkpoint->source()) +
                           fmt::format("{} has no tensor \"{}\", which the base has: merge only models of the "
                                       "base's architecture",
                                       s.what(), spec.name));
        check_tensor(s.checkpoint->get(*n), spec, s.what(), s.checkpoint->file_of(*n));
      }
      if (s.fisher) {
        if (!s.fisher->contains(spec.name))
          throw InputError(location(s.fisher->path()) +
                           fmt::format("{}'s parameter Fisher has no tensor \"{}\"; register the source again with "
                                       "{}",
                                       s.what(), spec.name, opt("parameter_fisher")));
        check_tensor(s.fisher->get(spec.name), spec, s.what() + "'s parameter Fisher", s.fisher->path());
      }
    }
  }

  // Head tensors (a --head SOURCE classifier): the encoder under the task prefix, then the head.
  const bool classifier = summary.output_kind == "classifier";
  std::vector<TensorDeclaration> declared;
  const std::string prefix = classifier ? checkpoint_prefix(arch) : "";
  std::set<std::string> merged_names;
  for (const ParameterSpec& spec : specs) {
    declared.push_back({prefix + spec.name, DType::F32, spec.shape});
    merged_names.insert(spec.name);
  }
  std::vector<std::pair<std::string, at::Tensor>> copied;  // written as they are
  EncoderConfig out_config = base_config;
  if (classifier) {
    if (arch == Architecture::Bert && !merged_names.count("pooler.dense.weight"))
      for (const char* n : {"pooler.dense.weight", "pooler.dense.bias"})
        copied.emplace_back(prefix + n, parameter(head_model->encoder, n));
    for (const auto& [name, t] : head_model->head) copied.emplace_back(name, t);
    for (const auto& [name, t] : copied) declared.push_back({name, DType::F32, t.sizes().vec()});
    out_config.labels = head_model->config.labels;
    out_config.problem_type = head_model->config.problem_type;
    out_config.architectures = {sequence_classification_class(arch)};
  } else {
    const EncoderConfig original = read_encoder_config(base / "config.json");
    out_config.architectures = original.architectures;
  }

  // The disk reads ahead while the tensors at hand are merged: every input's next tensors,
  // up to kReadAhead bytes past the current one (at least one tensor), are named to the
  // kernel before the current one is read (MappedFile::prefetch). Without it, the first read
  // of each tensor waited on the disk page by page, on one thread.
  constexpr std::int64_t kReadAhead = 64 << 20;
  std::size_t prefetched = 0;  // tensors [0, prefetched) have been named
  auto read_ahead = [&](std::size_t i) {
    std::int64_t bytes = 0;
    for (std::size_t j = i; j < specs.size() && (j <= i + 1 || bytes < kReadAhead); ++j) {
      if (j > i)
        bytes +=
            4 * std::accumulate(specs[j].shape.begin(), specs[j].shape.end(), std::int64_t{1}, std::multiplies<>());
      if (j < prefetched) continue;
      const std::string& name = specs[j].name;
      base_ckpt.prefetch(*stored_name(base_ckpt, name, arch));
      for (const Source& s : sources) {
        if (s.kind == Kind::Full) s.checkpoint->prefetch(*stored_name(*s.checkpoint, name, arch));
        if (s.fisher) s.fisher->prefetch(name);
      }
      prefetched = j + 1;
    }
  };

  StagedFolder staged(out);
  SafetensorsWriter writer(staged.path() / "model.safetensors", declared, {{"format", "pt"}});
  for (std::size_t i = 0; i < specs.size(); ++i) {
    read_ahead(i);
    const std::string& name = specs[i].name;
    const std::string base_name = *stored_name(base_ckpt, name, arch);
    const Array base_array = base_ckpt.get(base_name);
    const at::Tensor base_t = as_tensor(base_array).to(at::kFloat);
    std::vector<Array> arrays(sources.size());
    std::vector<std::string> source_names(sources.size());
    for (std::size_t k = 0; k < sources.size(); ++k)
      if (sources[k].kind == Kind::Full) {
        source_names[k] = *stored_name(*sources[k].checkpoint, name, arch);
        arrays[k] = sources[k].checkpoint->get(source_names[k]);
      }
    // A source's pages are dropped as soon as the method moves on to another source (the
    // views stay valid: a second pass faults them back in from the page cache), so only one
    // or two sources' tensors are resident at a time, whatever K. The blocked kernel's
    // chunks drop the source's previous chunk instead.
    std::optional<std::size_t> resident;
    auto touch = [&](std::size_t k) {
      if (resident && *resident != k && sources[*resident].kind == Kind::Full) {
        sources[*resident].checkpoint->release(source_names[*resident]);
        if (sources[*resident].fisher) sources[*resident].fisher->release(name);
      }
      resident = k;
    };
    // A source's checksum takes the tensor's name, then its bytes in order: chunk after
    // chunk as the kernel fetches them (in parallel over the sources, each source's own
    // checksum on one thread), or at the end for what was not fetched so. Pieces of a
    // multiple of 32 bytes sum as one piece would, so the checksum does not depend on how
    // the tensor was read. hashed[k]: entries taken, −1 before the name.
    std::vector<std::int64_t> hashed(sources.size(), -1);
    auto hash_through = [&](std::size_t k, std::int64_t end) {
      if (sources[k].kind != Kind::Full || !given[k].digest.empty()) return;
      Checksum64& h = sources[k].hash;
      if (hashed[k] < 0) {
        h.update(source_names[k].data(), source_names[k].size());
        hashed[k] = 0;
      }
      if (end <= hashed[k]) return;
      const std::size_t size = dtype_size(arrays[k].dtype());
      h.update(arrays[k].bytes() + hashed[k] * size, (end - hashed[k]) * size);
      hashed[k] = end;
    };
    std::vector<std::pair<std::int64_t, std::int64_t>> fetched(sources.size(), {0, 0});  // the chunk held
    TensorInputs in;
    in.name = name;
    in.count = sources.size();
    in.weights = weights;
    in.base = [&] { return base_t; };
    // A LoRA source's tensor with its exact ΔW = (α/r)·B·A folded in, made once per tensor
    // however often (or, by the kernel, for how many chunks) the method reads it.
    std::vector<at::Tensor> folded(sources.size());
    in.source = [&](std::size_t k) -> at::Tensor {
      const Source& s = sources[k];
      if (s.kind == Kind::Full) {
        touch(k);
        return as_tensor(arrays[k]).to(at::kFloat);
      }
      if (const auto m = s.modules.find(name); m != s.modules.end()) {
        if (!folded[k].defined())
          folded[k] = at::addmm(base_t, parameter(s.lora.encoder, m->second + ".lora_B.weight"),
                                parameter(s.lora.encoder, m->second + ".lora_A.weight"), 1.0, s.lora.config.scaling());
        return folded[k];
      }
      if (const auto t = s.lora.encoder.find(name); t != s.lora.encoder.end()) return t->second;
      return base_t;
    };
    // A chunk of a source, for the blocked kernel: a view of the mapping (converted if the
    // file is not float32), or a slice of a LoRA source's tensor. Called for several sources
    // at once; touches source k's state only.
    in.source_range = [&](std::size_t k, std::int64_t begin, std::int64_t end) -> at::Tensor {
      if (sources[k].kind == Kind::Full) {
        const std::size_t size = dtype_size(arrays[k].dtype());
        const auto [held_begin, held_end] = fetched[k];
        if (held_begin < held_end)
          sources[k].checkpoint->release(source_names[k], static_cast<std::size_t>(held_begin) * size,
                                         static_cast<std::size_t>(held_end) * size);
        fetched[k] = {begin, end};
        if (begin == std::max<std::int64_t>(hashed[k], 0)) hash_through(k, end);
        return as_tensor(arrays[k]).view(-1).slice(0, begin, end).to(at::kFloat);
      }
      return in.source(k).reshape(-1).slice(0, begin, end);
    };
    in.fisher = [&](std::size_t k) {
      touch(k);
      return as_tensor(sources[k].fisher->get(name)).to(at::kFloat);
    };
    const at::Tensor merged = method.merge(in, params).contiguous();
    stats(name, merged, base_t);
    // Written from the tensor's own memory (a view, no copy), on the writer's thread while
    // the next tensor is merged.
    writer.write_async(prefix + name,
                       Array::view(DType::F32, merged.sizes().vec(), static_cast<const std::byte*>(merged.data_ptr()),
                                   std::make_shared<at::Tensor>(merged)));
    for (std::size_t k = 0; k < sources.size(); ++k) {
      if (sources[k].kind != Kind::Full) continue;
      hash_through(k, arrays[k].numel());  // what the kernel did not fetch, or the method did not read
      summary.bytes_read += static_cast<std::int64_t>(arrays[k].nbytes());
      arrays[k] = Array();
      sources[k].checkpoint->release(source_names[k]);
      if (sources[k].fisher) sources[k].fisher->release(name);
    }
    summary.bytes_read += static_cast<std::int64_t>(base_array.nbytes());
    base_ckpt.release(base_name);
    if (o.progress) o.progress(i + 1, specs.size() + copied.size(), name);
  }
  for (const auto& [name, t] : copied) writer.write(name, to_array(t.contiguous()));
  writer.commit();
  write_file_atomically(staged.path() / "config.json", encoder_config_json(out_config));
  copy_tokenizer_files(base, staged.path());

  recipe["sources"] = source_entries(sources, weights, summary.bytes_read);
  summary.recipe = recipe;
  write_file_atomically(staged.path() / "merge.json", recipe.dump(2) + "\n");
  staged.commit();
  for (const MergedTensor& t : summary.tensors) {
    std::int64_t n = 4;
    for (auto d : t.shape) n *= d;
    summary.bytes_written += n;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace taskscout
