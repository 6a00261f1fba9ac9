// taskscout rank: every source of a registry (or a set of ESM files) scored for one target,
// best first. The pipeline is select/rank.hpp's; this file reads the flags and prints.
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
#include "taskscout/eval/report.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/registry/fingerprint.hpp"
#include "taskscout/select/rank.hpp"

namespace taskscout::cli {
namespace {

struct RankOptions {
  CommonOptions common;
  std::string registry, target, base, target_features, labels, base_fingerprint;
  std::string method;  // empty: the default (see run)
  std::vector<std::string> esms;
  std::string text_column = "text", text_pair_column, label_column = "label", pooling = "mean", task = "auto";
  int layer = -1;
  std::size_t k = 10, max_length = 0, batch_size = 32;
  std::string report;            // an HTML page of the rankings, when given
  std::string combined_weights;  // the combined ranker's weights; empty: the built-in ones
  FineTuneOptions taskemb = RankPoolOptions::default_taskemb_fine_tune();  // the target's model for taskemb
  bool force = false;
};

// The rankings as one self-contained HTML page (eval/report.hpp).
void write_ranking_report(const RankOptions& o, const RankTarget& target, const std::vector<MethodRanking>& results) {
  RankingReport report;
  report.target = target.what;
  report.facts = {{"examples", std::to_string(target.input.features.rows())},
                  {"dimensions", std::to_string(target.input.features.cols())},
                  {"sources", o.registry.empty() ? "ESM files" : o.registry}};
  for (const auto& r : results) {
    MethodRankingReport m{r.method, {}, {}, r.setup_seconds, r.seconds};
    for (const auto& s : r.ranking.ranked) m.ranked.push_back({s.name, s.score, s.seconds});
    for (const auto& s : r.ranking.skipped) m.skipped.push_back({s.name, s.skipped});
    report.methods.push_back(std::move(m));
  }
  write_file_atomically(o.report, render_ranking_report(report));
  std::cerr << "wrote " << o.report << "\n";
}

bool is_table(const std::string& spec) {
  for (const char* ext : {".csv", ".tsv", ".jsonl", ".ndjson"})
    if (spec.ends_with(ext)) return true;
  return false;
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

RankTarget load_target(const RankOptions& o) {
  if (!o.target_features.empty()) {
    if (o.labels.empty()) throw UsageError("--target-features needs --labels");
    const Array x = load_array(o.target_features);
    if (x.ndim() != 2)
      throw InputError(location(o.target_features) + "target features must be N×D, got " + shape_string(x.shape()));
    RankTarget t;
    t.input.features = x.to(DType::F32);
    t.input.targets = load_labels(o);
    t.what = o.target_features + " with " + o.labels;
    t.base_fingerprint = !o.base_fingerprint.empty() ? o.base_fingerprint
                         : !o.base.empty()           ? base_model_fingerprint(o.base)
                                                     : "";
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
  const Dataset data = load_dataset(o.target, data_options);
  TextEmbeddingOptions options;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  ProgressBar progress("embedding target", static_cast<std::int64_t>(data.texts.size()));
  std::size_t shown = 0;
  const std::string fingerprint = o.base_fingerprint.empty() ? base_model_fingerprint(o.base) : o.base_fingerprint;
  return embed_rank_target(data, o.base, fingerprint, options, [&](std::size_t done, std::size_t) {
    progress.advance(static_cast<std::int64_t>(done - shown));
    shown = done;
  });
}

nlohmann::ordered_json to_json(const MethodRanking& r, std::size_t k) {
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
  if (o.method.empty())
    methods = {"combined"};  // the default: it won leave-one-target-out on the 12-task matrix (bench/RESULTS.md)
  else if (o.method == "all")
    for (const auto& m : rank_methods()) methods.push_back(m.name);
  else
    for (const auto& m : split_list(o.method)) methods.push_back(find_rank_method(m).name);
  if (methods.empty()) throw UsageError("--method names no method");
  if (o.registry.empty() == o.esms.empty())
    throw UsageError("give the sources as --registry FOLDER or as --esms FILE_OR_FOLDER…, one of the two");
  if (o.k == 0) throw UsageError("--k must be at least 1");
  if (!o.report.empty()) {
    std::vector<std::string> inputs = {o.target, o.target_features, o.labels, o.registry, o.base, o.combined_weights};
    for (const auto& e : o.esms) inputs.push_back(e);
    check_report_output(o.report, o.force, inputs);
  }
  // Sources first: a wrong registry path fails before the target is embedded.
  const std::vector<PoolSource> sources = o.registry.empty() ? esm_file_pool(o.esms) : registry_pool(o.registry);
  RankPoolOptions pool_options;  // a bad weights file fails before the target is embedded
  if (!o.combined_weights.empty()) pool_options.combined = CombinedRanker::load(o.combined_weights);
  pool_options.taskemb_fine_tune = o.taskemb;
  pool_options.taskemb_fine_tune.seed = o.common.seed;
  const RankTarget target = load_target(o);
  validate(target.input, target.what);
  if (o.method.empty() && !target.has_texts()) {
    // combined reads the target's texts (vocabulary); given only features, ESM-LogME is
    // the best of what remains.
    methods = {"esm-logme"};
    std::cerr << "note: ranking by esm-logme: the default method, combined, needs the target's texts (--target)\n";
  }
  auto needs_texts = [](const std::string& m) { return find_rank_method(m).reads_texts; };
  if (!target.has_texts() && o.method == "all") {
    std::erase_if(methods, needs_texts);
    std::cerr << "note: the methods that read the target's texts (vocabulary, taskemb, and those that run each "
                 "source's model) are left out: give --target, not --target-features\n";
  }
  ProgressBars bars;
  const std::vector<MethodRanking> results = rank_pool(target, sources, methods, bars.callbacks(), pool_options);
  if (!o.report.empty()) write_ranking_report(o, target, results);

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
    print_json(j);
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
      "Methods (a comma-separated list, or all: side by side, ordered by the first):\n"
      "  cheap, from what registration stored: esm-logme (LogME of the target's embeddings mapped by each\n"
      "  source's ESM), textemb (cosine of mean embeddings), vocabulary (1 - Jensen-Shannon divergence of\n"
      "  token distributions), taskemb (cosine of Fisher task embeddings; fine-tunes the base on the target once);\n"
      "  expensive, each source's fine-tuned model run on the target (they need --target): logme, knn, h_score,\n"
      "  regularized_h_score, gbc, transrate, linear_probe on its embeddings; leep and nce from its head;\n"
      "  learned: combined (esm-logme, textemb and vocabulary, each standardized within the pool, weighted as\n"
      "  fitted on a measured transfer matrix; --combined-weights to use your own fit).\n"
      "A source that cannot be scored (no such artifact, another base model, a corrupt or missing file) is\n"
      "listed as skipped with the reason.");
  cmd->add_option("--registry", o->registry, "Registry folder (taskscout registry init)");
  cmd->add_option("--esms", o->esms, "Instead of a registry: ESM files, or folders of them (named by file stem)");
  cmd->add_option("--target", o->target, "Target dataset (.csv, .tsv, .jsonl) with text and label columns");
  cmd->add_option("--base", o->base, "Base model folder: embeds the target and identifies compatible sources");
  cmd->add_option("--target-features", o->target_features, "Instead of --target: N×D base embeddings of the target");
  cmd->add_option("--labels", o->labels, "With --target-features: N class ids or regression values, or a table");
  cmd->add_option("--base-fingerprint", o->base_fingerprint,
                  "With --target-features: the base model's fingerprint (default: of --base when given)");
  cmd->add_option("--method", o->method,
                  "A method, a comma-separated list, or all (default: combined; esm-logme with --target-features)")
      ->capture_default_str();
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
  cmd->add_option("--combined-weights", o->combined_weights,
                  "The combined ranker's weights (OUT/combined.json of taskscout benchmark; default: built in)");
  cmd->add_option("--taskemb-epochs", o->taskemb.epochs, "taskemb: epochs of the target's fine-tune")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--taskemb-learning-rate", o->taskemb.learning_rate,
                  "taskemb: learning rate of the target's fine-tune (0: 5e-5, full fine-tuning's default)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--report", o->report, "Also write the rankings as a self-contained HTML page");
  cmd->add_flag("--force", o->force, "Replace --report even if it is not a taskscout report");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
