// taskscout rank: every source of a registry (or a set of ESM files) scored for one target,
// best first. The target is embedded once with the base model; ESM-LogME then factors it
// once and costs each source work independent of the target's size. The baselines logme
// and knn instead embed the target with each source's own fine-tuned model, as the
// expensive way ESM-LogME stands in for.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/model/text_embedding.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/registry/registry.hpp"
#include "taskscout/select/esm_logme.hpp"
#include "taskscout/select/ranking.hpp"
#include "taskscout/select/stored_model.hpp"
#include "taskscout/select/textemb.hpp"

namespace taskscout::cli {
namespace {

namespace fs = std::filesystem;

struct RankOptions {
  CommonOptions common;
  std::string registry, target, base, target_features, labels, base_fingerprint, method = "esm-logme";
  std::vector<std::string> esms;
  std::string text_column = "text", text_pair_column, label_column = "label", pooling = "mean", task = "auto";
  int layer = -1;
  std::size_t k = 10, max_length = 0, batch_size = 32;
};

// In the order `all` runs them; the first orders the side-by-side table.
const std::vector<std::string> kMethods = {"esm-logme", "textemb", "logme", "knn"};
// The methods that embed the target with each source's fine-tuned model.
bool needs_model(const std::string& method) { return method == "logme" || method == "knn"; }

// A candidate source: where its artifacts are, known before any of them is read.
struct Candidate {
  std::string name;
  std::string base_fingerprint;  // empty when unknown until the ESM is read
  fs::path esm, mean_embedding;  // empty when the source has no such artifact
  std::string defect;            // a damaged registry row
  ArtifactFiles model;           // the fine-tuned model's blobs (stored_model.hpp), if any
};

std::vector<Candidate> registry_candidates(const std::string& folder) {
  const Registry registry = Registry::open(folder);
  std::vector<Candidate> out;
  for (const SourceRecord& r : registry.list()) {
    Candidate c{r.name, r.base_fingerprint, {}, {}, r.defect, {}};
    if (const Artifact* a = r.artifact(artifact_kind::kEsm)) c.esm = registry.blob_path(a->digest);
    if (const Artifact* a = r.artifact(artifact_kind::kMeanEmbedding)) c.mean_embedding = registry.blob_path(a->digest);
    for (std::string_view kind :
         {artifact_kind::kFullModel, artifact_kind::kLora, artifact_kind::kAdapter, artifact_kind::kHead})
      if (const Artifact* a = r.artifact(kind)) c.model[std::string(kind)] = registry.blob_path(a->digest);
    out.push_back(std::move(c));
  }
  return out;
}

// --esms: files, or folders whose *.safetensors files are ESMs; each named by its stem.
std::vector<Candidate> file_candidates(const std::vector<std::string>& specs) {
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
  std::vector<Candidate> out;
  for (const auto& f : files) out.push_back({f.stem().string(), "", f, {}, {}, {}});
  return out;
}

bool is_table(const std::string& spec) {
  for (const char* ext : {".csv", ".tsv", ".jsonl", ".ndjson"})
    if (spec.ends_with(ext)) return true;
  return false;
}

Targets dataset_targets(const Dataset& d) {
  if (d.kind == LabelKind::Classification) return Targets::from_class_labels(d.label_ids);
  Array values(DType::F64, {static_cast<std::int64_t>(d.values.size())});
  std::copy(d.values.begin(), d.values.end(), values.mutable_values<double>().begin());
  return Targets::from_values(values);
}

// --labels: integer ids (classification) or floats (regression) as an array, or a table.
Targets load_labels(const RankOptions& o) {
  if (is_table(o.labels)) {
    DatasetOptions options;
    options.text_column = "";
    options.label_column = o.label_column;
    options.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
    return dataset_targets(load_dataset(o.labels, options));
  }
  const Array labels = load_array(o.labels);
  const bool integer = labels.dtype() == DType::I64 || labels.dtype() == DType::I32;
  if (o.task == "regression" || (o.task == "auto" && !integer)) return Targets::from_values(labels.to(DType::F64));
  if (labels.ndim() != 1)
    throw InputError(location(o.labels) + "class labels must be one id per example (shape [N]), got " +
                     shape_string(labels.shape()));
  const Array ids = labels.to(DType::I64);
  const auto v = ids.values<std::int64_t>();
  return Targets::from_class_labels({v.begin(), v.end()});
}

struct Target {
  EstimationInput input;
  std::string what, base_fingerprint;
  double embed_seconds = 0;
  Dataset data;                // --target's texts (empty with --target-features)
  std::size_t max_length = 0;  // the truncation the base embeddings used
};

Target load_target(const RankOptions& o) {
  Target t;
  if (!o.base_fingerprint.empty())
    t.base_fingerprint = o.base_fingerprint;
  else if (!o.base.empty())
    t.base_fingerprint = base_model_fingerprint(o.base);
  if (!o.target_features.empty()) {
    if (o.labels.empty()) throw UsageError("--target-features needs --labels");
    const Array x = load_array(o.target_features);
    if (x.ndim() != 2)
      throw InputError(location(o.target_features) + "target features must be N×D, got " + shape_string(x.shape()));
    t.input.features = x.to(DType::F32);
    t.input.targets = load_labels(o);
    t.what = o.target_features + " with " + o.labels;
    return t;
  }
  if (o.target.empty())
    throw UsageError("give the target as --target DATA --base MODEL, or --target-features and --labels");
  if (o.base.empty()) throw UsageError("--target needs --base, the model folder that embeds its texts");
  DatasetOptions data_options;
  data_options.text_column = o.text_column;
  data_options.text_pair_column = o.text_pair_column;
  data_options.label_column = o.label_column;
  data_options.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  t.data = load_dataset(o.target, data_options);
  const Dataset& data = t.data;
  t.input.targets = dataset_targets(data);
  const Encoder encoder = load_encoder(o.base);
  TextEmbeddingOptions options;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  check_embedding_options(encoder, options.embedding);
  Stopwatch watch;
  TextEmbeddings result;
  {
    ProgressBar progress("embedding target", static_cast<std::int64_t>(data.texts.size()));
    std::size_t shown = 0;
    result = embed_texts(encoder, text::Tokenizer::from_folder(o.base), data.texts, data.text_pairs, options, o.target,
                         [&](std::size_t done, std::size_t) {
                           progress.advance(static_cast<std::int64_t>(done - shown));
                           shown = done;
                         });
  }
  t.embed_seconds = watch.seconds();
  t.max_length = result.max_length;
  t.input.features = to_array(result.embeddings.contiguous());
  t.what = o.target;
  return t;
}

// Why a source cannot be scored for this target's base model, or "" when it can (or either is unknown).
std::string check_base(const std::string& source_base, const std::string& target_base) {
  if (source_base.empty() || target_base.empty() || source_base == target_base) return "";
  return fmt::format(
      "its artifacts belong to another base model (fingerprint {}…) than the target's ({}…); rank it "
      "with that base",
      source_base.substr(0, 12), target_base.substr(0, 12));
}

struct MethodResult {
  std::string method;
  Ranking ranking;
  double setup_seconds = 0, seconds = 0;
};

MethodResult run_method(const std::string& method, const Target& target, const std::vector<Candidate>& sources) {
  MethodResult r{method, {}, 0, 0};
  std::vector<std::string> names;
  for (const auto& c : sources) names.push_back(c.name);
  Stopwatch setup;
  std::optional<EsmLogmeTarget> esm_target;
  at::Tensor target_mean;
  if (method == "esm-logme")
    esm_target.emplace(target.input, target.what);
  else
    target_mean = mean_embedding(as_tensor(target.input.features));
  r.setup_seconds = setup.seconds();
  auto scorer = [&](std::size_t i) -> double {
    const Candidate& c = sources[i];
    if (!c.defect.empty()) throw InputError("damaged registry entry: " + c.defect);
    if (std::string why = check_base(c.base_fingerprint, target.base_fingerprint); !why.empty()) throw InputError(why);
    if (method == "esm-logme") {
      if (c.esm.empty()) throw InputError("it has no ESM artifact; register it with one (taskscout esm train)");
      const Esm esm = load_esm(c.esm);
      if (std::string why = check_base(esm.base_fingerprint(), target.base_fingerprint); !why.empty())
        throw InputError(why);
      return esm_target->score(esm, c.esm.string());
    }
    if (c.mean_embedding.empty()) throw InputError("it has no stored mean embedding (artifact mean_embedding)");
    const SafetensorsFile file(c.mean_embedding);
    return textemb_score(target_mean, file.get("mean"), c.mean_embedding.string());
  };
  Stopwatch watch;
  std::vector<SourceScore> scores;
  {
    ProgressBar progress(method, static_cast<std::int64_t>(sources.size()));
    std::int64_t shown = 0;
    scores = score_sources(names, scorer, [&](std::int64_t done) {
      progress.advance(done - shown);
      shown = done;
    });
  }
  r.seconds = watch.seconds();
  r.ranking = make_ranking(std::move(scores));
  return r;
}

// logme and knn (whichever of them `methods` holds) in one pass: each source's model is
// loaded once, embeds the target once, and both estimators read those embeddings. One
// source at a time, with every thread in the forward pass.
std::vector<MethodResult> run_model_methods(const std::vector<std::string>& methods, const Target& target,
                                            const std::vector<Candidate>& sources, const RankOptions& o) {
  std::vector<std::string> names;
  for (const auto& c : sources) names.push_back(c.name);
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(o.base);
  const TokenizedTexts texts =
      tokenize_texts(tokenizer, target.data.texts, target.data.text_pairs, target.max_length, o.target);
  EmbeddingOptions embedding{parse_pooling(o.pooling), o.layer};
  // scores[m][i]: method m's score of source i, or the reason it has none.
  std::vector<std::vector<SourceScore>> scores(methods.size(), std::vector<SourceScore>(sources.size()));
  auto scorer = [&](std::size_t i) -> double {
    const Candidate& c = sources[i];
    if (!c.defect.empty()) throw InputError("damaged registry entry: " + c.defect);
    if (std::string why = check_base(c.base_fingerprint, target.base_fingerprint); !why.empty()) throw InputError(why);
    if (!has_stored_model(c.model))
      throw InputError("it stores no fine-tuned model (register it with --method to have one)");
    const TaskModel model = load_stored_model(c.model, o.base, "source " + c.name);
    EstimationInput in{
        to_array(embed_with_task_model(model, texts, embedding, o.batch_size)), target.input.targets, {}};
    for (std::size_t m = 0; m < methods.size(); ++m) {
      try {
        scores[m][i].score = find_estimator(methods[m]).fn(in, {});
        if (!std::isfinite(scores[m][i].score)) scores[m][i].skipped = "its score is not finite";
      } catch (const std::exception& e) {
        scores[m][i].skipped = e.what();
      }
    }
    return 0;  // the scores are in `scores`
  };
  Stopwatch watch;
  std::vector<SourceScore> passes;
  {
    ProgressBar progress(methods.size() == 1 ? methods[0] : "logme, knn", static_cast<std::int64_t>(sources.size()));
    std::int64_t shown = 0;
    passes = score_sources(
        names, scorer,
        [&](std::int64_t done) {
          progress.advance(done - shown);
          shown = done;
        },
        1);
  }
  const double seconds = watch.seconds();
  std::vector<MethodResult> out;
  for (std::size_t m = 0; m < methods.size(); ++m) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      SourceScore& s = scores[m][i];
      s.name = passes[i].name;
      s.seconds = passes[i].seconds;  // loading, embedding and every method's scoring
      if (!passes[i].ok()) s.skipped = passes[i].skipped;
    }
    out.push_back({methods[m], make_ranking(std::move(scores[m])), 0, seconds});
  }
  return out;
}

nlohmann::ordered_json to_json(const MethodResult& r, std::size_t k) {
  nlohmann::ordered_json ranked = nlohmann::ordered_json::array(), skipped = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < r.ranking.ranked.size() && i < k; ++i) {
    const auto& s = r.ranking.ranked[i];
    ranked.push_back({{"rank", i + 1}, {"source", s.name}, {"score", s.score}, {"seconds", s.seconds}});
  }
  for (const auto& s : r.ranking.skipped) skipped.push_back({{"source", s.name}, {"reason", s.skipped}});
  return {{"ranking", ranked},
          {"skipped", skipped},
          {"scored", r.ranking.ranked.size()},
          {"setup_seconds", r.setup_seconds},
          {"seconds", r.seconds}};
}

void run(const RankOptions& o) {
  apply_common_options(o.common);
  std::vector<std::string> methods;
  if (o.method == "all")
    methods = kMethods;
  else if (std::find(kMethods.begin(), kMethods.end(), o.method) != kMethods.end())
    methods = {o.method};
  else
    throw UsageError(fmt::format("unknown --method '{}'; choose from esm-logme, textemb, logme, knn, all", o.method));
  if (o.registry.empty() == o.esms.empty())
    throw UsageError("give the sources as --registry FOLDER or as --esms FILE_OR_FOLDER…, one of the two");
  if (o.k == 0) throw UsageError("--k must be at least 1");
  // Sources first: a wrong registry path fails before the target is embedded.
  const std::vector<Candidate> sources = o.registry.empty() ? file_candidates(o.esms) : registry_candidates(o.registry);
  const Target target = load_target(o);
  validate(target.input, target.what);
  if (target.data.texts.empty() && std::any_of(methods.begin(), methods.end(), needs_model)) {
    if (o.method != "all")
      throw UsageError("--method " + o.method +
                       " embeds the target's texts with each source's model: give --target "
                       "DATA --base MODEL, not --target-features");
    std::erase_if(methods, needs_model);
    std::cerr << "note: logme and knn left out: they need the target's texts (--target), not --target-features\n";
  }

  std::vector<MethodResult> results;
  std::vector<std::string> model_methods;
  for (const auto& m : methods)
    if (needs_model(m))
      model_methods.push_back(m);
    else
      results.push_back(run_method(m, target, sources));
  if (!model_methods.empty())
    for (MethodResult& r : run_model_methods(model_methods, target, sources, o)) results.push_back(std::move(r));

  if (o.common.json) {
    nlohmann::ordered_json j = {{"target", target.what},
                                {"n", target.input.features.rows()},
                                {"d", target.input.features.cols()},
                                {"sources", sources.size()},
                                {"embed_seconds", target.embed_seconds}};
    if (results.size() == 1) {
      j["method"] = results[0].method;
      const nlohmann::ordered_json only = to_json(results[0], o.k);
      for (const auto& [key, value] : only.items()) j[key] = value;
    } else {
      for (const auto& r : results) j["methods"][r.method] = to_json(r, o.k);
    }
    std::cout << j.dump(1) << "\n";
    return;
  }
  // Side by side: rows in the first method's order, one score and rank column per method.
  ResultTable table;
  table.columns = {"rank", "source"};
  for (const auto& r : results) {
    table.columns.push_back(r.method);
    if (results.size() > 1) table.columns.push_back(r.method + " rank");
  }
  table.columns.push_back("seconds");
  table.columns.push_back("skipped");
  std::vector<std::map<std::string, std::pair<std::size_t, const SourceScore*>>> by_name(results.size());
  for (std::size_t m = 0; m < results.size(); ++m) {
    for (std::size_t i = 0; i < results[m].ranking.ranked.size(); ++i)
      by_name[m][results[m].ranking.ranked[i].name] = {i + 1, &results[m].ranking.ranked[i]};
    for (const auto& s : results[m].ranking.skipped) by_name[m][s.name] = {0, &s};
  }
  auto row_of = [&](const std::string& name, const std::string& rank) {
    std::vector<std::string> row = {rank, name};
    double seconds = 0;
    std::string skipped;
    for (std::size_t m = 0; m < results.size(); ++m) {
      const auto& [place, s] = by_name[m].at(name);
      row.push_back(s->ok() ? fmt::format("{:.6f}", s->score) : "");
      if (results.size() > 1) row.push_back(place ? std::to_string(place) : "");
      seconds += s->seconds;
      if (!s->ok())
        skipped += (skipped.empty() ? "" : "; ") + (results.size() > 1 ? results[m].method + ": " : "") + s->skipped;
    }
    row.push_back(fmt::format("{:.4f}", seconds));
    row.push_back(skipped);
    return row;
  };
  const Ranking& first = results[0].ranking;
  for (std::size_t i = 0; i < first.ranked.size() && i < o.k; ++i)
    table.rows.push_back(row_of(first.ranked[i].name, std::to_string(i + 1)));
  for (const auto& s : first.skipped) table.rows.push_back(row_of(s.name, "-"));
  print_table(table, o.common.csv);
  std::cerr << fmt::format("{} sources, {} ranked by {}, {} skipped; target {} examples × {} dims", sources.size(),
                           first.ranked.size(), results[0].method, first.skipped.size(), target.input.features.rows(),
                           target.input.features.cols());
  for (const auto& r : results) std::cerr << fmt::format("; {} {:.2f} s", r.method, r.setup_seconds + r.seconds);
  std::cerr << "\n";
}

}  // namespace

void add_rank_command(CLI::App& app) {
  auto o = std::make_shared<RankOptions>();
  CLI::App* cmd = app.add_subcommand("rank", "Rank the sources of a registry for a target, best first");
  cmd->footer(
      "Examples:\n"
      "  taskscout rank --registry reg --target target.csv --base bert-folder --k 10\n"
      "  taskscout rank --esms esm-folder --target-features x.npy --labels y.npy --method esm-logme --json\n"
      "Methods: esm-logme (LogME of the target's embeddings mapped by each source's ESM), textemb (cosine of\n"
      "mean embeddings), logme and knn (LogME and leave-one-out 1-NN accuracy of the target as each source's own\n"
      "fine-tuned model embeds it: the expensive baselines; they need --target), all (side by side, ordered\n"
      "by the first). A source that cannot be scored (no such artifact, another base model, a corrupt or\n"
      "missing file) is listed as skipped with the reason.");
  cmd->add_option("--registry", o->registry, "Registry folder (taskscout registry init)");
  cmd->add_option("--esms", o->esms, "Instead of a registry: ESM files, or folders of them (named by file stem)");
  cmd->add_option("--target", o->target, "Target dataset (.csv, .tsv, .jsonl) with text and label columns");
  cmd->add_option("--base", o->base, "Base model folder: embeds the target and identifies compatible sources");
  cmd->add_option("--target-features", o->target_features, "Instead of --target: N×D base embeddings of the target");
  cmd->add_option("--labels", o->labels, "With --target-features: N class ids or regression values, or a table");
  cmd->add_option("--base-fingerprint", o->base_fingerprint,
                  "With --target-features: the base model's fingerprint (default: of --base when given)");
  cmd->add_option("--method", o->method, "esm-logme, textemb, logme, knn or all")->capture_default_str();
  cmd->add_option("--k", o->k, "Ranked sources to print")->capture_default_str();
  cmd->add_option("--task", o->task, "classification, regression or auto")
      ->check(CLI::IsMember({"auto", "classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--text-column", o->text_column, "Text column of --target")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column of --target or a --labels table")
      ->capture_default_str();
  cmd->add_option("--pooling", o->pooling, "cls, mean or pooler: as the sources' ESMs were trained")
      ->check(CLI::IsMember({"cls", "mean", "pooler"}))
      ->capture_default_str();
  cmd->add_option("--layer", o->layer, "Hidden state to pool (negative from the end)")->capture_default_str();
  cmd->add_option("--max-length", o->max_length, "Tokens per text (default: the model's limit)");
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->check(CLI::PositiveNumber)->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
