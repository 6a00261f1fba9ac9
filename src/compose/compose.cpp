#include "taskscout/compose/compose.hpp"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>

#include "compose_parts.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/lora_composition.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/stored_model.hpp"
#include "taskscout/text/tokenizer.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace taskscout {

namespace compose_parts {

void check_distinct(const std::vector<std::string>& names) {
  if (names.empty()) throw UsageError("no sources to compose: name at least one");
  std::set<std::string> seen;
  for (const std::string& n : names)
    if (!seen.insert(n).second) throw UsageError(fmt::format("the source \"{}\" is named twice", n));
}

void check_sources(const std::vector<ComposeSource>& sources) {
  std::vector<std::string> names;
  for (const ComposeSource& s : sources) names.push_back(s.name);
  check_distinct(names);
  auto kind = [](const ComposeSource& s) {
    return s.model.method == FineTuneMethod::Lora ? "a LoRA" : "a bottleneck adapter";
  };
  for (const ComposeSource& s : sources) {
    if (s.model.method != FineTuneMethod::Adapter && s.model.method != FineTuneMethod::Lora)
      throw InputError(
          fmt::format("source \"{}\" is a {} model; composition combines adapters or LoRAs: combine full models with "
                      "taskscout merge",
                      s.name, method_name(s.model.method)));
    if (s.model.method != sources.front().model.method)
      throw InputError(fmt::format(
          "source \"{}\" is {} but \"{}\" is {}; compose sources of one kind (adapters by any method, LoRAs by "
          "scalearn and its variants)",
          s.name, kind(s), sources.front().name, kind(sources.front())));
  }
}

std::string composed_name(const std::string& source, std::set<std::string>& taken) {
  std::string base;
  for (char ch : source) base += std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ? ch : '_';
  if (base.empty()) base = "source";
  std::string name = base;
  for (int i = 2; !taken.insert(name).second; ++i) name = fmt::format("{}_{}", base, i);
  return name;
}

TaskModel start_composed_model(const Encoder& base, const fs::path& base_folder, const Dataset& train) {
  TaskModel m;
  m.method = FineTuneMethod::Compose;
  start_task_model(m, base, base_folder, train);
  m.encoder = base.parameters;  // frozen views of the base's files
  m.head_style = HeadStyle::Flex;
  return m;
}

ParameterMap add_trained(TaskModel& m, const ParameterMap& init, const Dataset& train, std::uint64_t seed) {
  auto trainable = [](const at::Tensor& t) { return t.detach().clone().set_requires_grad(true); };
  ParameterMap trained;
  for (const auto& [name, t] : init) {
    m.encoder[name] = trained[name] = trainable(t);
    m.added.push_back(name);
  }
  const bool regression = train.kind == LabelKind::Regression;
  const std::int64_t labels = regression ? 1 : static_cast<std::int64_t>(train.label_names.size());
  for (const auto& [name, t] : init_head(m.config, labels, seed, m.encoder, HeadStyle::Flex))
    m.head[name] = trained[name] = trainable(t);
  return trained;
}

}  // namespace compose_parts

using namespace compose_parts;

namespace {

// How a source without an adapter or a LoRA was registered, for the message that refuses it.
std::string registered_as(const SourceRecord& r) {
  if (r.artifact(artifact_kind::kFullModel)) return "as a full model (" + opt("method") + " full)";
  return "without a fine-tuned model";
}

std::string renamed(const std::string& tensor, const std::string& from, const std::string& to) {
  const std::string infix = ".adapters." + from + ".";
  const std::size_t at = tensor.find(infix);
  if (at == std::string::npos) return tensor;
  return tensor.substr(0, at) + ".adapters." + to + "." + tensor.substr(at + infix.size());
}

}  // namespace

std::vector<ComposeSource> registry_sources(const fs::path& registry_folder, const std::vector<std::string>& names,
                                            const fs::path& base) {
  check_distinct(names);
  const Registry registry = Registry::open(registry_folder);
  const std::string fingerprint = base_model_fingerprint(base);
  std::vector<ComposeSource> out;
  for (const std::string& name : names) {
    const SourceRecord r = registry.get(name);
    const std::string what = fmt::format("source \"{}\"", r.name);
    if (!r.defect.empty()) throw InputError(fmt::format("{}: its registry row is damaged ({})", what, r.defect));
    if (!r.base_fingerprint.empty() && r.base_fingerprint != fingerprint)
      throw InputError(
          fmt::format("{} was registered on another base (fingerprint {}, {} has {}); pass the base "
                      "it was registered on",
                      what, r.base_fingerprint, base.string(), fingerprint));
    const Artifact* adapter = r.artifact(artifact_kind::kAdapter);
    const Artifact* head = r.artifact(artifact_kind::kHead);
    const Artifact* lora = r.artifact(artifact_kind::kLora);
    ArtifactFiles files;
    if (adapter && head)
      files = {{std::string(artifact_kind::kAdapter), registry.blob_path(adapter->digest)},
               {std::string(artifact_kind::kHead), registry.blob_path(head->digest)}};
    else if (lora)
      files = {{std::string(artifact_kind::kLora), registry.blob_path(lora->digest)}};
    else
      throw InputError(
          fmt::format("{} was registered {}; composition combines adapters or LoRAs: register it with {} adapter "
                      "or {} lora, or combine full models with taskscout merge",
                      what, registered_as(r), opt("method"), opt("method")));
    out.push_back({r.name, (adapter && head ? adapter : lora)->digest, load_stored_model(files, base, what)});
  }
  check_sources(out);
  return out;
}

std::vector<ComposeSource> folder_sources(const std::vector<std::string>& folders, const fs::path& base) {
  check_distinct(folders);
  std::vector<ComposeSource> out;
  for (const std::string& folder : folders) {
    TaskModel m = load_task_model(folder, base);
    if (m.method != FineTuneMethod::Adapter && m.method != FineTuneMethod::Lora)
      throw InputError(location(folder) +
                       fmt::format("holds a {} model; composition combines adapters or LoRAs", method_name(m.method)));
    out.push_back({folder, "", std::move(m)});
  }
  check_sources(out);
  return out;
}

std::string_view composable_kind(const fs::path& registry) {
  bool lora = false;
  for (const PoolSource& s : registry_pool(registry)) {
    if (s.model.count(std::string(artifact_kind::kAdapter))) return artifact_kind::kAdapter;
    lora = lora || s.model.count(std::string(artifact_kind::kLora));
  }
  if (lora) return artifact_kind::kLora;
  throw InputError(location(registry.string()) +
                   fmt::format("no source stores an adapter or a LoRA to compose (adapter sources are chosen when "
                               "there are any, else LoRA sources); register sources with {0} adapter or {0} lora, "
                               "or combine full models with taskscout merge",
                               opt("method")));
}

TopSources top_registry_sources(const fs::path& registry, const fs::path& base, const Dataset& target, std::size_t k,
                                const std::string& method, std::string_view kind,
                                const TextEmbeddingOptions& embedding) {
  if (k == 0) throw UsageError("the number of sources must be at least 1");
  std::vector<PoolSource> pool;
  for (PoolSource& s : registry_pool(registry))
    if (s.model.count(std::string(kind))) pool.push_back(std::move(s));
  if (pool.empty())
    throw InputError(location(registry.string()) +
                     fmt::format("no source stores a {0}; register sources with {2} {1} to use them", kind,
                                 kind == artifact_kind::kFullModel ? "full" : kind, opt("method")));
  const RankTarget t = embed_rank_target(target, base, base_model_fingerprint(base), embedding);
  const MethodRanking ranked = rank_pool(t, pool, {find_rank_method(method).name}).front();
  TopSources top;
  for (const PoolSource& s : pool) top.candidates.push_back(s.name);
  for (const SourceScore& s : ranked.ranking.ranked) {
    if (top.names.size() == k) break;
    top.names.push_back(s.name);
    top.scores.push_back(s.score);
  }
  for (const SourceScore& s : ranked.ranking.skipped) top.skipped.emplace_back(s.name, s.skipped);
  if (top.names.empty())
    throw InputError(
        fmt::format("{} could rank none of the {} {} sources of {}", method, pool.size(), kind, registry.string()));
  return top;
}

FineTuneOptions ComposeOptions::effective_training() const {
  FineTuneOptions o = training;
  o.method = FineTuneMethod::Compose;
  if (o.learning_rate == 0) o.learning_rate = default_learning_rate(method);
  return o;
}

double default_learning_rate(CompositionMethod method) { return method == CompositionMethod::Fusion ? 5e-5 : 6e-3; }

FineTuneResult compose_sources(const fs::path& base, const std::vector<ComposeSource>& sources, const Dataset& train,
                               const Dataset& dev, const ComposeOptions& options, const FineTuneProgress& progress) {
  check_sources(sources);
  if (sources.front().model.method == FineTuneMethod::Lora)
    return compose_loras(base, sources, train, dev, options, progress);
  return compose_adapters(base, sources, train, dev, options, progress);
}

FineTuneResult compose_adapters(const fs::path& base_folder, const std::vector<ComposeSource>& sources,
                                const Dataset& train, const Dataset& dev, const ComposeOptions& options,
                                const FineTuneProgress& progress) {
  check_sources(sources);
  TaskModel m = start_composed_model(load_encoder(base_folder), base_folder, train);
  m.adapter.placement = sources.front().model.adapter.placement;

  // The sources' adapters, frozen, each under a name of its own.
  AdapterComposition composition;
  composition.method = options.method;
  std::set<std::string> taken;
  for (const ComposeSource& s : sources) {
    const TaskModel& a = s.model;
    const std::string what = fmt::format("source \"{}\"", s.name);
    if (a.method != FineTuneMethod::Adapter) throw InputError(what + " is not a bottleneck adapter");
    if (a.config.hidden_size != m.config.hidden_size || a.config.num_layers != m.config.num_layers)
      throw InputError(what + " was trained on an encoder of another size; compose sources of one base");
    if (a.adapter.placement != m.adapter.placement)
      throw InputError(fmt::format("{} is a {} adapter but \"{}\" is a {} one; compose adapters of one placement", what,
                                   a.adapter.placement == AdapterPlacement::Pfeiffer ? "Pfeiffer" : "Houlsby",
                                   sources.front().name,
                                   m.adapter.placement == AdapterPlacement::Pfeiffer ? "Pfeiffer" : "Houlsby"));
    const std::string name = composed_name(s.name, taken);
    composition.adapters.push_back(name);
    for (const std::string& tensor : a.added) {
      if (tensor.find(".adapters.") == std::string::npos) continue;  // a pooler its head trained
      const std::string here = renamed(tensor, a.adapter.name, name);
      m.encoder[here] = parameter(a.encoder, tensor).detach();
      m.added.push_back(here);
    }
    AdapterConfig config = a.adapter;
    config.name = name;
    m.composed.push_back(
        {name, s.name, s.digest, config, {a.head, a.regression() ? std::vector<std::string>{} : a.config.labels}});
  }

  const std::uint64_t seed = options.training.seed;
  ParameterMap trained =
      add_trained(m, init_composition(m.config, composition, m.adapter.placement, seed + 1), train, seed);
  m.encode.adapter = m.adapter.encode_options();
  m.encode.adapter.name.clear();
  const auto shared = std::make_shared<const AdapterComposition>(composition);
  m.encode.adapter.composition = shared;

  const FineTuneOptions training = options.effective_training();
  const EncoderConfig config = m.config;
  const AdapterPlacement placement = m.adapter.placement;
  std::function<at::Tensor()> regularizer;
  if (options.method == CompositionMethod::Fusion)
    regularizer = [&trained, config, shared, placement] {
      return composition_regularization(trained, config, *shared, placement);
    };
  return train_task_model(std::move(m), trained, train, dev, training, progress, regularizer);
}

CompositionWeights measure_composition_weights(const TaskModel& model, const Dataset& data) {
  if (model.method == FineTuneMethod::Compose && model.encode.lora_composition) {
    const LoraComposition& l = *model.encode.lora_composition;  // ω alone: no texts needed
    CompositionWeights w;
    w.method = composition_method_name(l.method);
    for (const ComposedSource& s : model.composed) w.sources.push_back(s.source);
    for (auto& [site, weights] : lora_composition_weights(model.config, model.encoder, l)) {
      w.sites.push_back(site);
      w.weights.push_back(std::move(weights));
    }
    return w;
  }
  if (model.method != FineTuneMethod::Compose || !model.encode.adapter.composition)
    throw UsageError("composition weights are those of a composed model");
  const AdapterComposition& composition = *model.encode.adapter.composition;
  CompositionWeights w;
  w.method = composition_method_name(composition.method);
  for (const ComposedSource& s : model.composed) w.sources.push_back(s.source);

  // Sums per site, in the order sites are first seen.
  std::map<std::string, std::size_t> index;
  std::vector<at::Tensor> sums;
  std::vector<std::int64_t> counts;
  AdapterComposition observed = composition;
  observed.observe = [&](const std::string& site, const at::Tensor& weights) {
    auto [it, added] = index.emplace(site, sums.size());
    // ScaLearn's are [K]; AdapterFusion's [1, L, K] for one text, averaged over its tokens.
    const at::Tensor per_text = weights.dim() == 1 ? weights : weights.reshape({-1, weights.size(-1)}).mean(0);
    if (added) {
      w.sites.push_back(site);
      sums.push_back(per_text.to(at::kDouble).clone());
      counts.push_back(1);
    } else {
      sums[it->second] += per_text.to(at::kDouble);
      ++counts[it->second];
    }
  };
  TaskModel run = model;
  run.encode.adapter.composition = std::make_shared<const AdapterComposition>(observed);

  // ScaLearn's weights do not depend on the text: one suffices. Texts run one at a time,
  // so no padding enters AdapterFusion's averages.
  const bool fusion = composition.method == CompositionMethod::Fusion;
  const std::size_t n = std::min<std::size_t>(fusion ? 256 : 1, data.size());
  if (n == 0) throw InputError("no texts to measure the composition's weights on");
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(model.base_folder);
  const std::vector<std::string> pairs =
      data.text_pairs.empty() ? std::vector<std::string>{}
                              : std::vector<std::string>(data.text_pairs.begin(), data.text_pairs.begin() + n);
  const TokenizedTexts texts =
      tokenize_texts(tokenizer, std::span(data.texts.data(), n), pairs, model.max_length, data.path);
  c10::InferenceMode inference;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t row[] = {i};
    const Batch b = make_batch(texts, row, model.config.pad_token_id);
    task_logits(run, b.input_ids, b.attention_mask, b.token_type_ids);
  }
  for (std::size_t i = 0; i < sums.size(); ++i) {
    const at::Tensor mean = (sums[i] / static_cast<double>(counts[i])).contiguous();
    w.weights.emplace_back(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
  }
  return w;
}

std::string CompositionWeights::to_json() const {
  json j = {{"method", method}, {"sources", sources}, {"sites", json::array()}};
  for (std::size_t i = 0; i < sites.size(); ++i) j["sites"].push_back({{"site", sites[i]}, {"weights", weights[i]}});
  return j.dump(1) + "\n";
}

CompositionWeights CompositionWeights::read(const fs::path& folder) {
  const fs::path path = folder / kCompositionWeightsFile;
  if (!fs::exists(path))
    throw InputError(location(folder.string()) +
                     fmt::format("no {}: not a folder written by taskscout compose", kCompositionWeightsFile));
  CompositionWeights w;
  try {
    const json j = json::parse(MappedFile(path).text());
    w.method = j.at("method").get<std::string>();
    w.sources = j.at("sources").get<std::vector<std::string>>();
    for (const json& s : j.at("sites")) {
      w.sites.push_back(s.at("site").get<std::string>());
      w.weights.emplace_back();
      for (const json& v : s.at("weights"))  // null: the source has no LoRA at the site
        w.weights.back().push_back(v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>());
      if (w.weights.back().size() != w.sources.size())
        throw InputError(location(path.string()) + fmt::format("site {} has {} weights for {} sources", w.sites.back(),
                                                               w.weights.back().size(), w.sources.size()));
    }
  } catch (const json::exception& e) {
    throw InputError(location(path.string()) + "malformed: " + json_error_text(e));
  }
  return w;
}

}  // namespace taskscout
