// The ranking pipeline (see rank.hpp): candidates, the embedded target, and each method
// streamed over the pool.
#include "taskscout/select/rank.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "rank_parts.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/utf8.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/esm_logme.hpp"
#include "taskscout/select/registration.hpp"
#include "taskscout/select/stored_model.hpp"
#include "taskscout/select/taskemb.hpp"
#include "taskscout/select/textemb.hpp"
#include "taskscout/select/vocabulary.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

// The pooling and layer a source's artifacts were embedded with, as registration and
// import-esm record them in provenance["embedding"]; left unknown when absent or malformed.
void recorded_embedding(const nlohmann::json& provenance, PoolSource& c) {
  if (!provenance.is_object() || !provenance.contains("embedding")) return;
  const nlohmann::json& e = provenance["embedding"];
  if (!e.is_object() || !e.contains("pooling") || !e["pooling"].is_string()) return;
  c.pooling = e["pooling"].get<std::string>();
  if (e.contains("layer") && e["layer"].is_number_integer()) c.layer = e["layer"].get<int>();
}

}  // namespace

std::vector<PoolSource> registry_pool(const fs::path& folder) {
  const Registry registry = Registry::open(folder);
  std::vector<PoolSource> out;
  for (const SourceRecord& r : registry.list()) {
    PoolSource c{r.name, r.base_fingerprint, {}, {}, {}, {}, {}, r.defect, {}, -1};
    recorded_embedding(r.provenance, c);
    // A damaged row (e.g. a malformed digest) is skipped with its defect, no path built.
    auto blob = [&](std::string_view kind) {
      const Artifact* a = r.artifact(kind);
      return a && r.defect.empty() ? registry.blob_path(a->digest) : fs::path();
    };
    c.esm = blob(artifact_kind::kEsm);
    c.mean_embedding = blob(artifact_kind::kMeanEmbedding);
    c.vocabulary = blob(artifact_kind::kVocabulary);
    c.fisher = blob(artifact_kind::kFisher);
    for (std::string_view kind :
         {artifact_kind::kFullModel, artifact_kind::kLora, artifact_kind::kAdapter, artifact_kind::kHead})
      if (const Artifact* a = r.artifact(kind); a && r.defect.empty())
        c.model[std::string(kind)] = registry.blob_path(a->digest);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<PoolSource> esm_file_pool(const std::vector<std::string>& specs) {
  std::vector<fs::path> files;
  for (const auto& spec : specs) {
    if (fs::is_directory(spec)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(spec))
        if (e.path().extension() == ".safetensors") in_dir.push_back(e.path());
      if (in_dir.empty()) throw InputError(location(spec) + "folder holds no .safetensors ESM files");
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::exists(spec)) {
      files.emplace_back(spec);
    } else {
      throw IoError(location(spec) + "no such file or folder");
    }
  }
  std::vector<PoolSource> out;
  for (const auto& f : files) {
    // The stem names the source in the ranking (and its JSON, which holds only UTF-8).
    if (!is_valid_utf8(f.stem().string()))
      throw InputError(location(f.string()) +
                       "the file name, which names the source, is not valid UTF-8 text; rename the file");
    out.push_back({f.stem().string(), "", f, {}, {}, {}, {}, {}, {}, -1});
  }
  return out;
}

RankTarget embed_rank_target(const Dataset& data, const fs::path& base, const std::string& base_fingerprint,
                             const TextEmbeddingOptions& options,
                             const std::function<void(std::size_t, std::size_t)>& progress) {
  RankTarget t;
  t.what = data.path;
  t.base = base;
  t.base_fingerprint = base_fingerprint;
  t.data = data;
  t.input.targets = dataset_targets(data);
  const Encoder encoder = load_encoder(base);
  check_embedding_options(encoder, options.embedding);
  Stopwatch watch;
  const TextEmbeddings result = embed_texts(encoder, text::Tokenizer::from_folder(base), data.texts, data.text_pairs,
                                            options, data.path, [&](std::size_t done, std::size_t) {
                                              if (progress) progress(done, data.texts.size());
                                            });
  t.embed_seconds = watch.seconds();
  t.embedding = options;
  t.embedding.max_length = result.max_length;
  t.input.features = to_array(result.embeddings.contiguous());
  return t;
}

using rank_parts::MethodScores;

namespace {

// Estimators the model pass feeds: on the source model's embeddings, or (leep, nce) on its
// class probabilities.
bool reads_probabilities(std::string_view method) { return method == "leep" || method == "nce"; }

const std::vector<RankMethod> kMethods = {
    {"esm-logme", "LogME of the target's base embeddings mapped by the source's ESM (Schulte et al.)", false},
    {"textemb", "cosine of the target's and the source's mean base embeddings (Poth et al.)", false},
    {"vocabulary", "1 - Jensen-Shannon divergence of token distributions (domain similarity)", false, true},
    {"taskemb", "cosine of Fisher task embeddings of fine-tuned models (Vu et al.); fine-tunes on the target once",
     false, true},
    {"logme", "LogME of the target as the source's fine-tuned model embeds it", true, true},
    {"knn", "leave-one-out 1-NN accuracy of the source model's embeddings", true, true},
    {"h_score", "H-score of the source model's embeddings", true, true},
    {"regularized_h_score", "shrinkage H-score of the source model's embeddings", true, true},
    {"gbc", "GBC of the source model's embeddings", true, true},
    {"transrate", "TransRate of the source model's embeddings", true, true},
    {"linear_probe", "cross-validated logistic regression on the source model's embeddings", true, true},
    {"leep", "LEEP from the source model's class probabilities on the target", true, true},
    {"nce", "NCE from the source model's predicted classes on the target", true, true},
    {"combined", "weighted sum of the cheap signals, standardized within the pool, learned on a transfer matrix",
     false},
};

// Why a source cannot be scored for this target's base model, or "" when it can (or either is unknown).
std::string check_base(const std::string& source_base, const std::string& target_base) {
  if (source_base.empty() || target_base.empty() || source_base == target_base) return "";
  return fmt::format(
      "its artifacts belong to another base model (fingerprint {}…) than the target's ({}…); rank it "
      "with that base",
      source_base.substr(0, 12), target_base.substr(0, 12));
}

void check_entry(const PoolSource& c, const RankTarget& target) {
  if (!c.defect.empty()) throw InputError("damaged registry entry: " + c.defect);
  if (std::string why = check_base(c.base_fingerprint, target.base_fingerprint); !why.empty()) throw InputError(why);
}

// An ESM or a mean embedding only compares with a target embedded the way its source was:
// the reason to skip the source, or "" (also when either side is unknown: a target given
// as features, a source registered without saying).
std::string check_pooling(const PoolSource& c, const RankTarget& target) {
  if (c.pooling.empty() || !target.has_texts()) return "";
  const EmbeddingOptions& t = target.embedding.embedding;
  if (c.pooling == pooling_name(t.pooling) && c.layer == t.layer) return "";
  auto layer = [](int l) { return l == -1 ? std::string("the last layer") : fmt::format("layer {}", l); };
  std::string flags = opt("pooling") + " " + c.pooling;
  if (c.layer != t.layer) flags += fmt::format(" {} {}", opt("layer"), c.layer);
  return fmt::format(
      "its artifacts read embeddings pooled by {} from {}, but the target was embedded with {} from {}; "
      "rank with {}",
      c.pooling, layer(c.layer), pooling_name(t.pooling), layer(t.layer), flags);
}

std::vector<std::string> names_of(const std::vector<PoolSource>& pool) {
  std::vector<std::string> names;
  for (const auto& c : pool) names.push_back(c.name);
  return names;
}

// Counts progress for one phase, whatever the worker that finished a source.
struct Phase : ProgressPhase {
  using ProgressPhase::ProgressPhase;
  Phase(const RankProgress& p, const std::string& name, std::size_t sources)
      : ProgressPhase(p, name, static_cast<std::int64_t>(sources)) {}
  ScoringProgress callback() const {
    return [this](std::int64_t done) { advance(done); };
  }
};

// The target's task embedding: the base fine-tuned on the target, then its Fisher diagonals
// on the target's rows.
at::Tensor target_task_embedding(const RankTarget& target, const RankPoolOptions& options) {
  FineTuneOptions tune = options.taskemb_fine_tune;
  if (tune.max_length == 0) tune.max_length = target.embedding.max_length;
  const auto [train, dev] = split_off_dev(target.data, 0.1, tune.seed);
  const FineTuneResult tuned = fine_tune(target.base, train, dev, tune);
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(target.base);
  TaskEmbOptions taskemb = options.taskemb;
  taskemb.seed = tune.seed;
  return task_embedding(tuned.model, tokenizer, train, taskemb);
}

MethodScores run_artifact_method(const std::string& method, const RankTarget& target,
                                 const std::vector<PoolSource>& pool, const RankProgress& progress,
                                 const RankPoolOptions& options) {
  MethodScores r{method, {}, 0, 0};
  Stopwatch setup;
  std::optional<EsmLogmeTarget> esm_target;
  at::Tensor target_mean;
  std::vector<double> target_tokens;
  at::Tensor target_fisher;
  if (method == "esm-logme") {
    esm_target.emplace(target.input, target.what);
  } else if (method == "textemb") {
    target_mean = mean_embedding(as_tensor(target.input.features));
  } else if (method == "taskemb") {
    target_fisher = target_task_embedding(target, options);
  } else {
    target_tokens =
        token_counts(text::Tokenizer::from_folder(target.base), target.data.texts, target.data.text_pairs, target.what);
  }
  r.setup_seconds = setup.seconds();
  auto scorer = [&](std::size_t i) -> double {
    const PoolSource& c = pool[i];
    check_entry(c, target);
    if (method == "esm-logme" || method == "textemb")
      if (std::string why = check_pooling(c, target); !why.empty()) throw InputError(why);
    if (method == "esm-logme") {
      if (c.esm.empty()) throw InputError("it has no ESM artifact; register it with one (taskscout esm train)");
      check_blob_bytes(c.esm, artifact_kind::kEsm);
      const Esm esm = load_esm(c.esm);
      if (std::string why = check_base(esm.base_fingerprint(), target.base_fingerprint); !why.empty())
        throw InputError(why);
      // An ESM file that says how it pools (import-esm writes it) is checked even outside a registry.
      if (auto p = esm.metadata.find("pooling"); c.pooling.empty() && p != esm.metadata.end()) {
        PoolSource described = c;
        described.pooling = p->second;
        if (auto l = esm.metadata.find("layer"); l != esm.metadata.end())
          described.layer = std::atoi(l->second.c_str());
        if (std::string why = check_pooling(described, target); !why.empty()) throw InputError(why);
      }
      return esm_target->score(esm, c.esm.string());
    }
    if (method == "textemb") {
      if (c.mean_embedding.empty()) throw InputError("it has no stored mean embedding (artifact mean_embedding)");
      check_blob_bytes(c.mean_embedding, artifact_kind::kMeanEmbedding);
      const SafetensorsFile file(c.mean_embedding);
      return textemb_score(target_mean, file.get("mean"), c.mean_embedding.string());
    }
    if (method == "taskemb") {
      if (c.fisher.empty())
        throw InputError("it has no task embedding (artifact fisher); register it again with " + opt("method") +
                         " to add one");
      check_blob_bytes(c.fisher, artifact_kind::kFisher);
      return taskemb_similarity(target_fisher, read_fisher_artifact(c.fisher), c.fisher.string());
    }
    if (c.vocabulary.empty())
      throw InputError("it has no stored token counts (artifact vocabulary); register it again to add them");
    check_blob_bytes(c.vocabulary, artifact_kind::kVocabulary);
    return vocabulary_similarity(target_tokens, read_vocabulary_artifact(c.vocabulary), c.vocabulary.string());
  };
  Stopwatch watch;
  {
    Phase phase(progress, method, pool.size());
    r.scores = score_sources(names_of(pool), scorer, phase.callback());
  }
  r.seconds = watch.seconds();
  return r;
}

// The model methods in one pass: each source's model is loaded once and runs on the
// target once (embeddings, and class probabilities when leep or nce is asked for); every
// estimator then reads those. One source at a time, with every thread in the forward pass.
std::vector<MethodScores> run_model_methods(const std::vector<std::string>& methods, const RankTarget& target,
                                            const std::vector<PoolSource>& pool, const RankProgress& progress) {
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(target.base);
  const TokenizedTexts texts =
      tokenize_texts(tokenizer, target.data.texts, target.data.text_pairs, target.embedding.max_length, target.what);
  const bool probabilities = std::any_of(methods.begin(), methods.end(), reads_probabilities);
  // scores[m][i]: method m's score of source i, or the reason it has none.
  std::vector<std::vector<SourceScore>> scores(methods.size(), std::vector<SourceScore>(pool.size()));
  std::vector<double> embed_seconds(pool.size(), 0), probability_seconds(pool.size(), 0);  // per source
  auto scorer = [&](std::size_t i) -> double {
    const PoolSource& c = pool[i];
    check_entry(c, target);
    if (!has_stored_model(c.model))
      throw InputError("it stores no fine-tuned model (register it with " + opt("method") + " to have one)");
    Stopwatch shared;
    const TaskModel model = load_stored_model(c.model, target.base, "source " + c.name);
    EstimationInput in{
        to_array(embed_with_task_model(model, texts, target.embedding.embedding, target.embedding.batch_size)),
        target.input.targets,
        {}};
    embed_seconds[i] = shared.seconds();
    if (probabilities) {
      Stopwatch head;
      in.source_probs = to_array(predict_logits(model, texts, target.embedding.batch_size).softmax(1).contiguous());
      probability_seconds[i] = head.seconds();
    }
    for (std::size_t m = 0; m < methods.size(); ++m) {
      SourceScore& s = scores[m][i];
      Stopwatch own;
      try {
        s.score = find_estimator(methods[m]).fn(in, {});
        if (!std::isfinite(s.score)) s.skipped = "its score is not finite";
      } catch (const std::exception& e) {
        s.skipped = e.what();
      }
      s.seconds = own.seconds();
    }
    return 0;  // the scores are in `scores`
  };
  Stopwatch watch;
  std::vector<SourceScore> passes;
  {
    Phase phase(progress, methods.size() == 1 ? methods[0] : "source models", pool.size());
    passes = score_sources(names_of(pool), scorer, phase.callback(), 1);
  }
  const double seconds = watch.seconds();
  // What each method alone would cost per source: loading the model and embedding the
  // target (and its head's probabilities, for leep and nce), then its own estimator.
  for (std::size_t m = 0; m < methods.size(); ++m)
    for (std::size_t i = 0; i < pool.size(); ++i) {
      SourceScore& s = scores[m][i];
      s.name = passes[i].name;
      s.seconds += embed_seconds[i] + (reads_probabilities(methods[m]) ? probability_seconds[i] : 0);
      if (!passes[i].ok()) s.skipped = passes[i].skipped;
    }
  std::vector<MethodScores> out;
  for (std::size_t m = 0; m < methods.size(); ++m) out.push_back({methods[m], std::move(scores[m]), 0, seconds});
  return out;
}

}  // namespace

const std::vector<RankMethod>& rank_methods() { return kMethods; }

FineTuneOptions RankPoolOptions::default_taskemb_fine_tune() {
  FineTuneOptions o;
  o.epochs = 3;
  return o;
}

const RankMethod& find_rank_method(std::string_view name) {
  std::string names;
  for (const auto& m : kMethods) {
    if (m.name == name) return m;
    names += (names.empty() ? "" : ", ") + m.name;
  }
  throw UsageError(fmt::format("unknown ranking method '{}'; choose from {}, all", name, names));
}

namespace rank_parts {

std::vector<std::string> methods_to_score(const RankTarget& target, const std::vector<std::string>& methods,
                                          const RankPoolOptions& options) {
  // "combined" runs its signals first (once, even when they are asked for too).
  std::vector<std::string> needed;
  auto need = [&](const std::string& m) {
    if (std::find(needed.begin(), needed.end(), m) == needed.end()) needed.push_back(m);
  };
  for (const auto& m : methods) {
    find_rank_method(m);
    if (m == "combined")
      for (const auto& f : options.combined.features) need(f);  // load() refuses "combined" itself
    else
      need(m);
  }
  for (const auto& m : needed)
    if (find_rank_method(m).reads_texts && !target.has_texts())
      throw UsageError(fmt::format(
          "method {} reads the target's texts: give the target as a dataset with its base model, not as features", m));
  return needed;
}

std::vector<MethodScores> score_pool(const RankTarget& target, const std::vector<PoolSource>& pool,
                                     const std::vector<std::string>& scored, const RankProgress& progress,
                                     const RankPoolOptions& options) {
  std::vector<std::string> model_methods;
  for (const auto& m : scored)
    if (find_rank_method(m).runs_source_model) model_methods.push_back(m);
  std::vector<MethodScores> out;
  if (!model_methods.empty()) out = run_model_methods(model_methods, target, pool, progress);
  for (const auto& m : scored)
    if (!find_rank_method(m).runs_source_model) out.push_back(run_artifact_method(m, target, pool, progress, options));
  return out;
}

std::vector<MethodRanking> assemble_rankings(const std::vector<std::string>& methods,
                                             const std::vector<PoolSource>& pool,
                                             const std::vector<MethodScores>& scored, const RankPoolOptions& options) {
  auto find = [&](const std::string& m) -> const MethodScores& {
    for (const auto& s : scored)
      if (s.method == m) return s;
    throw InternalError("method " + m + " was not scored");
  };
  std::vector<MethodRanking> out;
  for (const auto& m : methods) {
    if (m != "combined") {
      const MethodScores& s = find(m);
      out.push_back({m, make_ranking(s.scores), s.setup_seconds, s.seconds});
      continue;
    }
    // Each signal's score per source, in pool order (NaN where it was skipped).
    MethodRanking r{"combined", {}, 0, 0};
    std::vector<std::vector<double>> signals;
    std::vector<SourceScore> scores(pool.size());
    for (const auto& f : options.combined.features) {
      const MethodScores& part = find(f);
      r.setup_seconds += part.setup_seconds;
      r.seconds += part.seconds;
      std::vector<double> column;
      for (std::size_t i = 0; i < pool.size(); ++i) {
        const SourceScore& s = part.scores.at(i);
        column.push_back(s.ok() ? s.score : std::numeric_limits<double>::quiet_NaN());
        scores[i].name = pool[i].name;
        scores[i].seconds += s.seconds;
        if (!s.ok() && scores[i].skipped.empty()) scores[i].skipped = f + ": " + s.skipped;
      }
      signals.push_back(std::move(column));
    }
    const std::vector<double> combined = options.combined.score(signals);
    for (std::size_t i = 0; i < pool.size(); ++i)
      if (scores[i].ok()) scores[i].score = combined[i];
    r.ranking = make_ranking(std::move(scores));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rank_parts

std::vector<MethodRanking> rank_pool(const RankTarget& target, const std::vector<PoolSource>& pool,
                                     const std::vector<std::string>& methods, const RankProgress& progress,
                                     const RankPoolOptions& options) {
  validate(target.input, target.what);
  const std::vector<std::string> scored = rank_parts::methods_to_score(target, methods, options);
  return rank_parts::assemble_rankings(methods, pool, rank_parts::score_pool(target, pool, scored, progress, options),
                                       options);
}

}  // namespace taskscout
