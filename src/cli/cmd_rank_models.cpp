// taskscout rank-models: local checkpoints ranked for a labeled target, best first. The
// pipeline is select/rank_models.hpp's; this file reads the flags and prints.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/select/rank_models.hpp"

namespace taskscout::cli {
namespace {

namespace fs = std::filesystem;

struct RankModelsCommandOptions {
  CommonOptions common;
  std::vector<std::string> models;
  std::string target, method = "logme", layer = "last", pooling = "mean", cache, task = "classification";
  std::string text_column = "text", text_pair_column, label_column = "label";
  std::size_t max_length = 0, batch_size = 32;
};

void run(const RankModelsCommandOptions& o) {
  apply_common_options(o.common);
  RankModelsOptions options;
  options.methods = split_list(o.method);
  options.layer = parse_layer_choice(o.layer);
  options.pooling = parse_pooling(o.pooling);
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  options.cache = o.cache;
  DatasetOptions data_options;
  data_options.text_column = o.text_column;
  data_options.text_pair_column = o.text_pair_column;
  data_options.label_column = o.label_column;
  data_options.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  const Dataset target = load_dataset(o.target, data_options);
  std::vector<fs::path> models(o.models.begin(), o.models.end());

  ModelRanking r;
  {
    ProgressBars bars;
    r = rank_models(models, target, options, bars.callbacks());
  }
  std::map<std::string, const ModelRun*> runs;
  for (const auto& m : r.models) runs[m.name] = &m;

  if (o.common.json) {
    nlohmann::ordered_json methods = nlohmann::ordered_json::object();
    for (const auto& mr : r.rankings) {
      nlohmann::ordered_json ranked = nlohmann::ordered_json::array(), skipped = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < mr.ranking.ranked.size(); ++i) {
        const auto& s = mr.ranking.ranked[i];
        nlohmann::ordered_json j = {{"rank", i + 1}, {"model", s.name}, {"score", s.score}, {"seconds", s.seconds}};
        const ModelRun& run = *runs.at(s.name);
        if (auto it = run.best_layer.find(mr.method); it != run.best_layer.end()) j["layer"] = it->second;
        ranked.push_back(j);
      }
      for (const auto& s : mr.ranking.skipped) skipped.push_back({{"model", s.name}, {"reason", s.skipped}});
      methods[mr.method] = {{"ranking", ranked}, {"skipped", skipped}};
    }
    nlohmann::ordered_json models_json = nlohmann::ordered_json::array();
    for (const auto& m : r.models) {
      nlohmann::ordered_json j = {{"model", m.name},
                                  {"folder", m.folder.string()},
                                  {"model_type", m.model_type},
                                  {"hidden_size", m.hidden_size},
                                  {"layers", m.layers},
                                  {"from_cache", m.from_cache},
                                  {"embed_seconds", m.embed_seconds}};
      if (!m.skipped.empty()) j["skipped"] = m.skipped;
      models_json.push_back(j);
    }
    print_json({{"target", o.target},
                {"n", target.size()},
                {"layer", o.layer},
                {"pooling", o.pooling},
                {"methods", methods},
                {"models", models_json},
                {"seconds", r.seconds}});
    return;
  }
  // Rows in the first method's order, one score column per method (and its layer with best).
  ResultTable table;
  table.columns = {"rank", "model"};
  for (const auto& mr : r.rankings) {
    table.columns.push_back(mr.method);
    if (options.layer == LayerChoice::Best) table.columns.push_back(mr.method + " layer");
  }
  for (const char* c : {"type", "hidden", "embed_seconds", "cache", "skipped"}) table.columns.push_back(c);
  std::vector<std::map<std::string, const SourceScore*>> by_name(r.rankings.size());
  for (std::size_t m = 0; m < r.rankings.size(); ++m) {
    for (const auto& s : r.rankings[m].ranking.ranked) by_name[m][s.name] = &s;
    for (const auto& s : r.rankings[m].ranking.skipped) by_name[m][s.name] = &s;
  }
  auto row_of = [&](const std::string& name, const std::string& rank) {
    std::vector<std::string> row = {rank, name};
    const ModelRun& run = *runs.at(name);
    std::string skipped = run.skipped;
    for (std::size_t m = 0; m < r.rankings.size(); ++m) {
      const SourceScore* s = by_name[m].at(name);
      row.push_back(s->ok() ? fmt::format("{:.6f}", s->score) : "");
      if (options.layer == LayerChoice::Best) {
        auto it = run.best_layer.find(r.rankings[m].method);
        row.push_back(it == run.best_layer.end() ? "" : std::to_string(it->second));
      }
      if (!s->ok() && run.skipped.empty()) skipped += (skipped.empty() ? "" : "; ") + s->skipped;
    }
    row.push_back(run.model_type);
    row.push_back(run.hidden_size ? std::to_string(run.hidden_size) : "");
    row.push_back(run.skipped.empty() ? fmt::format("{:.3f}", run.embed_seconds) : "");
    row.push_back(o.cache.empty() || !run.skipped.empty() ? "" : run.from_cache ? "hit" : "written");
    row.push_back(skipped);
    return row;
  };
  const Ranking& first = r.rankings[0].ranking;
  for (std::size_t i = 0; i < first.ranked.size(); ++i)
    table.rows.push_back(row_of(first.ranked[i].name, std::to_string(i + 1)));
  for (const auto& s : first.skipped) table.rows.push_back(row_of(s.name, "-"));
  print_table(table, o.common.csv);
  std::cerr << fmt::format("{} models, {} ranked by {}, {} skipped; {} examples; {:.2f} s\n", r.models.size(),
                           first.ranked.size(), r.rankings[0].method, first.skipped.size(), target.size(), r.seconds);
}

}  // namespace

void add_rank_models_command(CLI::App& app) {
  auto o = std::make_shared<RankModelsCommandOptions>();
  CLI::App* cmd = app.add_subcommand("rank-models", "Rank local Hugging Face checkpoints for a labeled target");
  cmd->footer(
      "Examples:\n"
      "  taskscout rank-models --models bert roberta distilbert --target target.csv --method logme,h_score\n"
      "  taskscout rank-models --models zoo/* --target target.csv --layer best --cache emb-cache --json\n"
      "Each model (BERT, RoBERTa, XLM-R, DistilBERT; its own tokenizer; any hidden size) embeds the target, one\n"
      "model in memory at a time; each estimator scores the embeddings. --layer last pools the last layer, mean\n"
      "averages the pooled layers 1..L, best scores each layer and keeps the best (TransformerRanker's\n"
      "lastlayer, layermean, bestlayer). --cache keeps each model's embeddings of this target (keyed by the\n"
      "model's and the target's fingerprints, pooling, layers and max length), so a rerun embeds only what is\n"
      "missing. A model that cannot be used (unreadable folder, unsupported architecture…) is listed as skipped.");
  cmd->add_option("--models", o->models, "Model folders (config.json, model.safetensors, tokenizer)")->required();
  cmd->add_option("--target", o->target, "Target dataset (.csv, .tsv, .jsonl) with text and label columns")->required();
  cmd->add_option("--method", o->method,
                  "Estimators, comma-separated: logme, knn, h_score, regularized_h_score, gbc, "
                  "transrate, linear_probe")
      ->capture_default_str();
  cmd->add_option("--layer", o->layer, "last, mean or best")
      ->check(CLI::IsMember({"last", "mean", "best"}))
      ->capture_default_str();
  cmd->add_option("--pooling", o->pooling, "cls, mean or pooler (pooler: --layer last only)")
      ->check(CLI::IsMember({"cls", "mean", "pooler"}))
      ->capture_default_str();
  cmd->add_option("--cache", o->cache, "Folder of per-model embedding caches (created if absent)");
  cmd->add_option("--task", o->task, "classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--text-column", o->text_column, "Text column of --target")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column of --target")->capture_default_str();
  cmd->add_option("--max-length", o->max_length, "Tokens per text (default: each model's limit)");
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->check(CLI::PositiveNumber)->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
