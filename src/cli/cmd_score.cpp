// taskscout score: every requested transferability estimator on one (features, labels) pair.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/estimate/score.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/select/targets.hpp"

namespace taskscout::cli {
namespace {

struct ScoreOptions {
  CommonOptions common;
  std::string features, labels, label_column = "label", source_probs, task = "auto", methods = "all";
  int knn_k = 1, folds = 5;
};

void run(const ScoreOptions& o) {
  apply_common_options(o.common);
  EstimationInput in;
  in.features = load_array(o.features);
  if (in.features.ndim() != 2)
    throw InputError(location(o.features) + "features must be a 2-D matrix (N×D), got " +
                     shape_string(in.features.shape()));
  in.features = in.features.to(DType::F32);
  in.targets = load_targets(o.labels, o.label_column, parse_task_choice(o.task));
  if (!o.source_probs.empty()) in.source_probs = load_array(o.source_probs).to(DType::F32);
  EstimatorOptions eo;
  eo.knn_k = o.knn_k;
  eo.probe_folds = o.folds;
  eo.seed = o.common.seed;
  ProgressBars bars;
  const Scores result = score_methods(in, o.methods == "all" ? std::vector<std::string>{"all"} : split_list(o.methods),
                                      eo, o.features + " with " + o.labels, bars.callbacks());
  bars.close();
  for (const auto& s : result.skipped) std::cerr << "note: skipping " << s << "\n";

  if (o.common.json) {
    nlohmann::ordered_json j;
    j["n"] = in.features.rows();
    j["d"] = in.features.cols();
    j["scores"] = nlohmann::ordered_json::object();
    j["seconds"] = nlohmann::ordered_json::object();
    for (const auto& s : result.scores) j["scores"][s.method] = s.score;
    for (const auto& s : result.scores) j["seconds"][s.method] = s.seconds;
    print_json(j);
    return;
  }
  ResultTable table{{"method", "score", "seconds"}, {}};
  for (const auto& s : result.scores)
    table.rows.push_back({s.method, format_number(s.score), fmt::format("{:.4f}", s.seconds)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_score_command(CLI::App& app) {
  auto o = std::make_shared<ScoreOptions>();
  CLI::App* cmd = app.add_subcommand("score", "Score how well features transfer to labeled target data");
  cmd->footer(
      "Example:\n  taskscout score --features feats.npy --labels labels.npy --method logme,knn\n"
      "Arrays are .npy or .safetensors (FILE.safetensors:TENSOR when the file holds several).\n"
      "Integer labels are class ids; float labels are regression targets (override with --task).\n"
      "A table's label column holds class names (ordered numerically if all are integers, else by code\n"
      "point) or, with --task regression, numbers.");
  cmd->add_option("--features", o->features, "Target features, N×D (.npy or .safetensors[:name])")->required();
  cmd->add_option("--labels", o->labels,
                  "Target labels: N class ids, or N / N×T regression targets; or a .csv/.tsv/.jsonl table")
      ->required();
  cmd->add_option("--label-column", o->label_column, "Label column when --labels is a table")->capture_default_str();
  cmd->add_option("--source-probs", o->source_probs, "A source model's class probabilities, N×Z (LEEP, NCE)");
  cmd->add_option("--task", o->task, "classification, regression or auto (from the label dtype)")
      ->check(CLI::IsMember({"auto", "classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--method", o->methods, "Comma-separated estimator names, or all")->capture_default_str();
  cmd->add_option("--knn-k", o->knn_k, "Neighbours for knn")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--folds", o->folds, "Cross-validation folds for linear_probe")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  add_common_options(*cmd, o->common);
  std::string names;
  for (const auto& e : estimators()) names += "\n  " + e.name + ": " + e.summary;
  cmd->footer(cmd->get_footer() + "\nMethods:" + names);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
