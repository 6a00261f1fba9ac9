// taskscout compose: train a composition (ScaLearn, AdapterFusion) of frozen source
// adapters or LoRAs and a fresh head on a target, or show what a composed model took from
// each source.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/compose/compose.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/model_writer.hpp"
#include "training.hpp"

namespace taskscout::cli {
namespace {

struct ComposeCliOptions {
  CommonOptions common;
  std::string registry, sources, adapters, base, train, dev, out, method = "scalearn", show;
  std::string rank_method = "esm-logme", task = "classification";
  std::string text_column = "text", text_pair_column, label_column = "label";
  std::size_t top_k = 0;
  FineTuneOptions training;
};

void show(const ComposeCliOptions& o) {
  const CompositionWeights w = CompositionWeights::read(o.show);
  if (o.common.json) {
    nlohmann::ordered_json sites = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < w.sites.size(); ++i) {
      nlohmann::ordered_json by_source = nlohmann::ordered_json::object();
      for (std::size_t k = 0; k < w.sources.size(); ++k) by_source[w.sources[k]] = w.weights[i][k];
      sites.push_back({{"site", w.sites[i]}, {"weights", by_source}});
    }
    print_json({{"model", o.show}, {"method", w.method}, {"sources", w.sources}, {"sites", sites}});
    return;
  }
  ResultTable table{{"site"}, {}};
  for (const std::string& s : w.sources) table.columns.push_back(s);
  bool absent = false;  // a source without a LoRA at a site
  for (std::size_t i = 0; i < w.sites.size(); ++i) {
    std::vector<std::string> row{w.sites[i]};
    for (double v : w.weights[i]) row.push_back(std::isnan(v) ? "-" : fmt::format("{:.4f}", v));
    for (double v : w.weights[i]) absent = absent || std::isnan(v);
    table.rows.push_back(row);
  }
  std::cerr << fmt::format(
      "{}: {} weights per site and source ({}{})\n", o.show, w.method,
      w.method == "fusion" ? "attention, averaged over the dev texts' tokens" : "omega, averaged over the features",
      absent ? "; - where a source has no LoRA" : "");
  print_table(table, o.common.csv);
}

void run(ComposeCliOptions& o) {
  apply_common_options(o.common);
  if (!o.show.empty()) return show(o);
  for (const auto& [flag, value] :
       {std::pair{"--base", o.base}, {"--train", o.train}, {"--dev", o.dev}, {"--out", o.out}})
    if (value.empty()) throw UsageError(fmt::format("{} is required (or --show FOLDER)", flag));
  const int given = !o.sources.empty() + (o.top_k > 0) + !o.adapters.empty();
  if (given != 1)
    throw UsageError(
        "name the sources one way: --registry R --sources a,b,c, --registry R --top-k K, or --adapters "
        "FOLDER,FOLDER");
  if (o.adapters.empty() && o.registry.empty()) throw UsageError("--sources and --top-k need --registry");
  ComposeOptions options;
  options.method = parse_composition_method(o.method);
  options.training = o.training;
  options.training.seed = o.common.seed;
  StagedFolder::check_target(o.out);  // before the work, not after

  DatasetOptions data;
  data.text_column = o.text_column;
  data.text_pair_column = o.text_pair_column;
  data.label_column = o.label_column;
  data.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  const auto [train, dev] = load_train_dev(o.train, o.dev, data);

  std::vector<std::string> names = split_list(o.sources);
  if (o.top_k > 0) {
    const std::string_view kind = composable_kind(o.registry);
    const TopSources top = top_registry_sources(o.registry, o.base, train, o.top_k, o.rank_method, kind);
    for (const auto& [name, reason] : top.skipped)
      std::cerr << fmt::format("note: {} skipped source {}: {}\n", o.rank_method, name, reason);
    std::cerr << fmt::format("the top {} by {} among the {} sources:", top.names.size(), o.rank_method, kind);
    for (std::size_t i = 0; i < top.names.size(); ++i)
      std::cerr << fmt::format(" {} ({:.4g})", top.names[i], top.scores[i]);
    std::cerr << "\n";
    names = top.names;
  }
  const std::vector<ComposeSource> sources =
      o.adapters.empty() ? registry_sources(o.registry, names, o.base) : folder_sources(split_list(o.adapters), o.base);

  TrainingDisplay display("composing");
  FineTuneResult r;
  {
    SigintToFlag sigint;
    r = compose_sources(o.base, sources, train, dev, options, display.progress());
  }
  display.close();
  if (r.interrupted) throw Error(fmt::format("interrupted after step {}; nothing was written to {}", r.steps, o.out));
  const CompositionWeights weights = measure_composition_weights(r.model, dev);
  save_task_model(
      o.out, r.model,
      {{"train_log.json", r.log_json(options.effective_training())}, {kCompositionWeightsFile, weights.to_json()}});

  print_training_result(
      r, {{"out", o.out}, {"method", o.method}, {"sources", names.empty() ? split_list(o.adapters) : names}}, o.common);
}

}  // namespace

void add_compose_command(CLI::App& app) {
  auto o = std::make_shared<ComposeCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compose",
      "Combine frozen source adapters or LoRAs for a target (ScaLearn, AdapterFusion) and train the combination");
  cmd->footer(
      "Examples:\n"
      "  taskscout compose --registry reg --sources a,b,c --base base --train T/train.csv --dev T/dev.csv \\\n"
      "      --method scalearn --out T-scalearn\n"
      "  taskscout compose --registry reg --top-k 3 --rank-method esm-logme --base base --train T/train.csv \\\n"
      "      --dev T/dev.csv --method fusion --out T-fusion\n"
      "  taskscout compose --show T-scalearn\n"
      "Methods: scalearn (per layer, a weight per source and feature), scalearn-uniform (per layer, one per\n"
      "source), scalearn++ and scalearn-uniform++ (the same shared by all layers), fusion (AdapterFusion:\n"
      "attention over the sources' outputs). The sources are of one kind: bottleneck adapters on one base\n"
      "(registered with --method adapter), composed by any method, or LoRAs on one base (--method lora; any\n"
      "ranks and target modules), composed by the ScaLearn variants, which scale each LoRA's update in every\n"
      "module it targets (per module, or per module kind for ++). The kind follows the named sources; --top-k\n"
      "ranks the registry's adapter sources when it has any, otherwise its LoRA sources. Full models, or\n"
      "adapters and LoRAs together, combine with taskscout merge. The sources stay frozen; only the\n"
      "combination and a new head are trained. The output folder loads in evaluate, predict and transfer;\n"
      "it names its sources by registry digest and keeps each one's adapter folder (adapters/<name>/) or\n"
      "PEFT LoRA folder (loras/<name>/). AdapterFusion is also written in the adapters library's layout\n"
      "(adapter_fusion_config.json, model_adapter_fusion.safetensors).");
  cmd->add_option("--registry", o->registry, "Registry whose sources to compose");
  cmd->add_option("--sources", o->sources, "Comma-separated source names (or ids) in the registry");
  cmd->add_option("--top-k", o->top_k,
                  "Compose the registry's K best sources for the target instead: adapter sources, or LoRA sources when "
                  "it has no adapters");
  cmd->add_option("--rank-method", o->rank_method, "With --top-k: the ranking method")->capture_default_str();
  cmd->add_option("--adapters", o->adapters, "Comma-separated adapter or LoRA folders instead of registry sources");
  cmd->add_option("--base", o->base, "The base model folder the sources were trained on");
  cmd->add_option("--train", o->train, "Target training set (.csv, .tsv, .jsonl)");
  cmd->add_option("--dev", o->dev, "Target dev set, for evaluation and early stopping");
  cmd->add_option("--out", o->out, "Output folder (replaced only if it is an earlier taskscout output)");
  cmd->add_option("--method", o->method, "scalearn, scalearn-uniform, scalearn++, scalearn-uniform++ or fusion")
      ->capture_default_str();
  cmd->add_option("--show", o->show, "Print the learned weights of a composed folder per layer (or module) and source");
  cmd->add_option("--task", o->task, "classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column")->capture_default_str();
  add_training_options(*cmd, o->training, "Peak learning rate (default: scalearn 6e-3, fusion 5e-5)");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
