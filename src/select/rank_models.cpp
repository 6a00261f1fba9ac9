// Ranking local checkpoints for a target (see rank_models.hpp): one model at a time, its
// pooled layers cached per model and target, then each estimator over them.
#include "taskscout/select/rank_models.hpp"

#include <c10/core/InferenceMode.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/model_fingerprint.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/model/sentence_embedding.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/text/encoding.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/train/task_model.hpp"

namespace taskscout {

namespace fs = std::filesystem;

LayerChoice parse_layer_choice(std::string_view name) {
  if (name == "last") return LayerChoice::Last;
  if (name == "mean") return LayerChoice::Mean;
  if (name == "best") return LayerChoice::Best;
  throw UsageError(fmt::format("unknown layer choice \"{}\"; choose last, mean or best", name));
}

std::string_view layer_choice_name(LayerChoice choice) {
  switch (choice) {
    case LayerChoice::Last:
      return "last";
    case LayerChoice::Mean:
      return "mean";
    case LayerChoice::Best:
      return "best";
  }
  return "";
}

namespace {

constexpr const char* kCacheFormat = "taskscout-embedding-cache";

// The pooled embeddings of every text, one [N, D] tensor per layer asked for (the last
// layer, or layers 1..L), from one forward pass per batch.
struct LayerEmbeddings {
  std::vector<at::Tensor> layers;
  std::vector<int> layer_ids;  // hidden_states index of each
};

LayerEmbeddings embed_layers(const Encoder& encoder, const Dataset& target, const RankModelsOptions& o,
                             const std::function<void(std::size_t)>& progress) {
  const std::int64_t num_layers = encoder.config.num_layers;
  LayerEmbeddings out;
  if (o.layer == LayerChoice::Last)
    out.layer_ids = {static_cast<int>(num_layers)};
  else
    for (int l = 1; l <= num_layers; ++l) out.layer_ids.push_back(l);
  const auto limit = static_cast<std::size_t>(encoder.config.max_length());
  const std::size_t max_length = o.max_length == 0 ? limit : std::min(o.max_length, limit);
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(encoder.folder);
  const TokenizedTexts texts = tokenize_texts(tokenizer, target.texts, target.text_pairs, max_length, target.path);

  c10::InferenceMode inference;
  const auto n = static_cast<std::int64_t>(texts.encodings.size());
  for (std::size_t i = 0; i < out.layer_ids.size(); ++i)
    out.layers.push_back(at::empty({n, encoder.config.hidden_size}, at::kFloat));
  const std::vector<std::size_t> order = text::order_by_length(texts.encodings);
  EncodeOptions run;
  run.all_hidden_states = o.layer != LayerChoice::Last;
  for (std::size_t start = 0; start < order.size(); start += o.batch_size) {
    const std::size_t rows = std::min(o.batch_size, order.size() - start);
    const std::span<const std::size_t> chosen(order.data() + start, rows);
    const Batch b = make_batch(texts, chosen, encoder.config.pad_token_id);
    const EncoderOutput enc =
        encode(encoder.config, encoder.parameters, b.input_ids, b.attention_mask, b.token_type_ids, run);
    const at::Tensor index = at::tensor(std::vector<std::int64_t>(chosen.begin(), chosen.end()), at::kLong);
    for (std::size_t i = 0; i < out.layer_ids.size(); ++i) {
      const at::Tensor& hidden = run.all_hidden_states ? enc.hidden_states.at(out.layer_ids[i]) : enc.last_hidden_state;
      out.layers[i].index_copy_(0, index, pool(o.pooling, encoder.parameters, hidden, b.attention_mask).to(at::kFloat));
    }
    if (progress) progress(start + rows);
  }
  return out;
}

// The cache file of one model for this target and these options, and the metadata that
// must match for its content to be used (a stale or foreign file is recomputed).
struct CacheEntry {
  fs::path file;
  std::map<std::string, std::string> key;
};

CacheEntry cache_entry(const fs::path& dir, const std::string& model_fingerprint, const std::string& target_fingerprint,
                       const RankModelsOptions& o) {
  CacheEntry e;
  e.key = {{"format", kCacheFormat},
           {"version", "1"},
           {"model_fingerprint", model_fingerprint},
           {"target_fingerprint", target_fingerprint},
           {"pooling", std::string(pooling_name(o.pooling))},
           {"layers", o.layer == LayerChoice::Last ? "last" : "1..L"},
           {"max_length", std::to_string(o.max_length)}};
  std::string text;
  for (const auto& [k, v] : e.key) text += k + "=" + v + "\n";
  e.file = dir / (sha256_hex(text).substr(0, 32) + ".safetensors");
  return e;
}

// The cached layers, or nothing when the file is absent, unreadable or for another key.
std::optional<LayerEmbeddings> read_cache(const CacheEntry& e, std::int64_t rows, std::int64_t hidden) {
  std::error_code ec;
  if (!fs::exists(e.file, ec)) return std::nullopt;
  try {
    const SafetensorsFile f(e.file);
    for (const auto& [k, v] : e.key) {
      auto it = f.metadata().find(k);
      if (it == f.metadata().end() || it->second != v) return std::nullopt;
    }
    const at::Tensor all = as_tensor(f.get("embeddings")).clone();
    const auto ids = nlohmann::json::parse(f.metadata().at("layer_ids")).get<std::vector<int>>();
    if (all.dim() != 3 || all.size(0) != static_cast<std::int64_t>(ids.size()) || all.size(1) != rows ||
        all.size(2) != hidden || !at::isfinite(all).all().item<bool>())
      return std::nullopt;
    LayerEmbeddings out;
    out.layer_ids = ids;
    for (std::int64_t i = 0; i < all.size(0); ++i) out.layers.push_back(all[i].contiguous());
    return out;
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged file is recomputed and replaced
  }
}

void write_cache(const CacheEntry& e, const LayerEmbeddings& l) {
  std::map<std::string, std::string> metadata = e.key;
  metadata["layer_ids"] = nlohmann::json(l.layer_ids).dump();
  fs::create_directories(e.file.parent_path());
  write_safetensors(e.file, {{"embeddings", to_array(at::stack(l.layers).contiguous())}}, metadata);
}

std::vector<std::string> model_names(const std::vector<fs::path>& models) {
  std::map<std::string, int> count;
  auto base_name = [](const fs::path& p) {
    fs::path q = p;
    if (q.filename().empty()) q = q.parent_path();
    return q.filename().string();
  };
  for (const auto& m : models) ++count[base_name(m)];
  std::vector<std::string> names;
  for (const auto& m : models) names.push_back(count[base_name(m)] > 1 ? m.string() : base_name(m));
  return names;
}

}  // namespace

ModelRanking rank_models(const std::vector<fs::path>& models, const Dataset& target, const RankModelsOptions& o,
                         const Progress& progress) {
  Stopwatch total;
  if (models.empty()) throw UsageError("no models to rank: give at least one model folder");
  if (o.methods.empty()) throw UsageError("no method: give at least one estimator");
  if (o.batch_size == 0) throw UsageError("the batch size must be at least 1");
  if (o.pooling == Pooling::Pooler && o.layer != LayerChoice::Last)
    throw UsageError("pooler pooling reads the last layer only; use --layer last, or --pooling mean or cls");
  for (const auto& m : o.methods) {
    const EstimatorInfo& e = find_estimator(m);
    if (e.needs_source_probs)
      throw UsageError(
          fmt::format("--method {} needs a source model's class probabilities, which a checkpoint "
                      "zoo does not have; choose estimators on embeddings (logme, knn, h_score, …)",
                      m));
    if (target.kind == LabelKind::Regression && !e.supports_regression)
      throw UsageError(fmt::format("--method {} does not score regression targets; use logme or knn", m));
  }
  if (target.texts.empty()) throw InputError(target.path + ": the target has no texts to embed");
  if (!o.cache.empty()) {
    // Never the target, a registry, or inside a model folder (whether or not it exists yet).
    OutputRule rule;
    rule.flag = "--cache";
    rule.inputs = {target.path};
    rule.force = true;  // files in it are judged one by one (read_cache)
    check_output(o.cache, rule);
    const fs::path cache = fs::weakly_canonical(o.cache);
    for (const auto& m : models) {
      std::error_code ec;
      fs::path model = fs::weakly_canonical(m, ec);
      if (ec) continue;
      if (model.filename().empty()) model = model.parent_path();  // "bert/"
      auto [a, b] = std::mismatch(model.begin(), model.end(), cache.begin(), cache.end());
      if (a == model.end())
        throw UsageError(fmt::format("--cache {} lies inside the model folder {}; put the cache elsewhere",
                                     o.cache.string(), m.string()));
    }
  }
  const Targets labels = dataset_targets(target);
  const std::string target_fingerprint = o.cache.empty() ? "" : dataset_fingerprint(target);
  const auto rows = static_cast<std::int64_t>(target.size());

  ModelRanking result;
  const std::vector<std::string> names = model_names(models);
  // scores[m][i]: method m on model i.
  std::vector<std::vector<SourceScore>> scores(o.methods.size(), std::vector<SourceScore>(models.size()));
  ProgressPhase phase(progress, "models", static_cast<std::int64_t>(models.size()));
  for (std::size_t i = 0; i < models.size(); ++i) {
    ModelRun run;
    run.name = names[i];
    run.folder = models[i];
    phase.advance(static_cast<std::int64_t>(i), run.name);
    std::optional<LayerEmbeddings> emb;
    std::optional<CacheEntry> entry;
    try {
      std::error_code ec;
      if (!fs::exists(models[i], ec)) throw InputError("no such model folder");
      if (!fs::is_directory(models[i], ec)) throw InputError("not a folder (a model is a folder with config.json)");
      const EncoderConfig config = read_encoder_config(models[i] / "config.json");
      run.model_type = config.model_type;
      run.hidden_size = config.hidden_size;
      run.layers = config.num_layers;
      if (!o.cache.empty()) {
        entry = cache_entry(o.cache, cached_base_model_fingerprint(models[i]), target_fingerprint, o);
        emb = read_cache(*entry, rows, config.hidden_size);
        run.from_cache = emb.has_value();
      }
      if (!emb) {
        Stopwatch watch;
        const Encoder encoder = load_encoder(models[i]);  // freed at the end of this block
        check_embedding_options(encoder, {o.pooling, -1});
        emb = embed_layers(encoder, target, o, [&](std::size_t done) {
          phase.advance(static_cast<std::int64_t>(i), fmt::format("{} {}/{}", run.name, done, rows));
        });
        run.embed_seconds = watch.seconds();
      }
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      run.skipped = e.what();
    }
    // Outside the model's try: a cache that cannot be written (a full disk) stops the run
    // instead of passing for a bad model.
    if (run.skipped.empty() && entry && !run.from_cache) write_cache(*entry, *emb);
    if (run.skipped.empty() && o.layer == LayerChoice::Mean) {
      at::Tensor mean = emb->layers[0].to(at::kDouble);
      for (std::size_t l = 1; l < emb->layers.size(); ++l) mean += emb->layers[l].to(at::kDouble);
      emb->layers = {(mean / static_cast<double>(emb->layers.size())).to(at::kFloat).contiguous()};
    }
    for (std::size_t m = 0; m < o.methods.size(); ++m) {
      SourceScore& s = scores[m][i];
      s.name = run.name;
      if (!run.skipped.empty()) {
        s.skipped = run.skipped;
        continue;
      }
      Stopwatch own;
      try {
        double best = -std::numeric_limits<double>::infinity();
        int best_layer = 0;
        for (std::size_t l = 0; l < emb->layers.size(); ++l) {
          const double v = find_estimator(o.methods[m]).fn(EstimationInput{to_array(emb->layers[l]), labels, {}}, {});
          if (!std::isfinite(v)) continue;
          if (v > best) best = v, best_layer = emb->layer_ids[l];
        }
        if (!std::isfinite(best)) throw InputError("its score is not finite");
        s.score = best;
        if (o.layer == LayerChoice::Best) run.best_layer[o.methods[m]] = best_layer;
      } catch (const Error& e) {
        s.skipped = e.what();
      }
      s.seconds = own.seconds() + run.embed_seconds;
    }
    result.models.push_back(std::move(run));
    phase.advance(static_cast<std::int64_t>(i + 1));
  }
  for (std::size_t m = 0; m < o.methods.size(); ++m) {
    double seconds = 0;
    for (const auto& s : scores[m]) seconds += s.seconds;
    result.rankings.push_back({o.methods[m], make_ranking(std::move(scores[m])), 0, seconds});
  }
  result.seconds = total.seconds();
  return result;
}

}  // namespace taskscout
