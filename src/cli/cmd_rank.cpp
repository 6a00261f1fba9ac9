// taskscout rank: every source of a registry (or a set of ESM files) scored for one target,
// best first. The pipeline is select/rank.hpp's; this file reads the flags and prints.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/report.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/pooling.hpp"
#include "taskscout/select/rank.hpp"
#include "taskscout/select/targets.hpp"

namespace taskscout::cli {
namespace {

struct RankOptions {
  CommonOptions common;
  std::string registry, target, base, target_features, labels, base_fingerprint;
  std::string method;  // empty: the default (see run)
  std::vector<std::string> esms;
  std::string text_column = "text", text_pair_column, label_column = "label", pooling = "auto", task = "auto";
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

// The request, with the flag-level checks that name flags.
RankRequest make_request(const RankOptions& o) {
  if (o.registry.empty() == o.esms.empty())
    throw UsageError("give the sources as --registry FOLDER or as --esms FILE_OR_FOLDER…, one of the two");
  RankRequest r;
  r.registry = o.registry;
  r.esm_files = o.esms;
  r.base = o.base;
  r.base_fingerprint = o.base_fingerprint;
  if (!o.target_features.empty()) {
    if (o.labels.empty()) throw UsageError("--target-features needs --labels");
    r.features.features = load_array(o.target_features);
    r.features.targets = load_targets(o.labels, o.label_column, parse_task_choice(o.task));
    r.features_name = o.target_features + " with " + o.labels;
  } else {
    if (o.target.empty())
      throw UsageError("give the target as --target DATA --base MODEL, or --target-features and --labels");
    if (o.base.empty()) throw UsageError("--target needs --base, the model folder that embeds its texts");
    r.target = o.target;
    r.columns.text_column = o.text_column;
    r.columns.text_pair_column = o.text_pair_column;
    r.columns.label_column = o.label_column;
    r.columns.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
    set_pooling(r, o.pooling);
    r.embedding.embedding.layer = o.layer;
    r.embedding.max_length = o.max_length;
    r.embedding.batch_size = o.batch_size;
  }
  if (o.method == "all")
    r.methods = {"all"};
  else if (!o.method.empty() && (r.methods = split_list(o.method)).empty())
    throw UsageError("--method names no method");
  const bool features_only = !o.target_features.empty();
  for (const auto& m : r.methods)
    if (m != "all" && find_rank_method(m).reads_texts && features_only)
      throw UsageError(fmt::format(
          "--method {} reads the target's texts: give them as --target DATA --base MODEL, not --target-features", m));
  if (!o.combined_weights.empty()) r.pool.combined = CombinedRanker::load(o.combined_weights);
  r.pool.taskemb_fine_tune = o.taskemb;
  r.pool.taskemb_fine_tune.seed = o.common.seed;
  return r;
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
  if (o.k == 0) throw UsageError("--k must be at least 1");
  if (!o.report.empty()) {
    std::vector<std::string> inputs = {o.target, o.target_features, o.labels, o.registry, o.base, o.combined_weights};
    for (const auto& e : o.esms) inputs.push_back(e);
    check_report_output(o.report, o.force, inputs);
  }
  const RankRequest request = make_request(o);
  // Under mpirun every process ranks its share; the root alone shows progress and prints.
  Cluster& cluster = job_cluster();
  ProgressBars bars;
  const RankResult ranked = rank_sources(request, cluster.is_root() ? bars.callbacks() : Progress{}, cluster);
  bars.close();
  if (!cluster.is_root()) return;
  for (const auto& note : ranked.notes) std::cerr << "note: " << note << "\n";
  const RankTarget& target = ranked.target;
  const std::vector<MethodRanking>& results = ranked.methods;
  if (!o.report.empty()) write_ranking_report(o, target, results);

  if (o.common.json) {
    nlohmann::ordered_json j = {{"target", target.what},
                                {"n", target.input.features.rows()},
                                {"d", target.input.features.cols()},
                                {"sources", ranked.sources},
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
  std::cerr << fmt::format("{} sources, {} ranked by {}, {} skipped; target {} examples × {} dims", ranked.sources,
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
  cmd->add_option("--pooling", o->pooling,
                  "cls, mean or pooler: as the sources' ESMs were trained (auto: the pooling and layer the sources "
                  "record, mean when they record none)")
      ->check(CLI::IsMember({"auto", "cls", "mean", "pooler"}))
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
  rename_option_flag("rank", "fine_tune.epochs", "--taskemb-epochs");
  rename_option_flag("rank", "fine_tune.learning_rate", "--taskemb-learning-rate");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
