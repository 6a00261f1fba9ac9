// taskscout score: every requested transferability estimator on one (features, labels) pair.
#include <fmt/format.h>

#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/select/rank.hpp"

namespace taskscout::cli {
namespace {

struct ScoreOptions {
  CommonOptions common;
  std::string features, labels, label_column = "label", source_probs, task = "auto", methods = "all";
  int knn_k = 1, folds = 5;
};

// Labels from a table (CSV, TSV, JSONL): the named column, class names ordered as
// io/dataset.hpp documents.
Targets load_table_targets(const std::string& path, const std::string& column, const std::string& task) {
  DatasetOptions options;
  options.text_column = "";
  options.label_column = column;
  options.kind = task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  return dataset_targets(load_dataset(path, options));
}

bool is_table(const std::string& spec) {
  for (const char* ext : {".csv", ".tsv", ".jsonl", ".ndjson"})
    if (spec.ends_with(ext)) return true;
  return false;
}

Targets load_targets(const std::string& spec, const std::string& column, const std::string& task) {
  if (is_table(spec)) return load_table_targets(spec, column, task);
  const Array labels = load_array(spec);
  const bool integer = labels.dtype() == DType::I64 || labels.dtype() == DType::I32;
  const bool regression = task == "regression" || (task == "auto" && !integer);
  if (regression) {
    if (labels.ndim() > 2)
      throw InputError(location(spec) + "regression targets must be N or N×T, got " + shape_string(labels.shape()));
    return Targets::from_values(labels);
  }
  if (labels.cols() != 1)
    throw InputError(location(spec) + "class labels must be one id per example (shape [N]), got " +
                     shape_string(labels.shape()));
  const Array ids = labels.to(DType::F64);
  std::vector<std::int64_t> classes;
  classes.reserve(static_cast<std::size_t>(ids.numel()));
  std::int64_t row = 0;
  for (double v : ids.values<double>()) {
    if (!std::isfinite(v) || v != std::floor(v))
      throw InputError(
          fmt::format("{}label at row {} is {}, not a class id; pass integer class ids or use "
                      "--task regression",
                      location(spec), row, v));
    classes.push_back(static_cast<std::int64_t>(v));
    ++row;
  }
  return Targets::from_class_labels(classes);
}

std::vector<const EstimatorInfo*> choose_methods(const std::string& list, const EstimationInput& in) {
  const bool regression = in.targets.kind == TaskKind::Regression;
  std::vector<const EstimatorInfo*> chosen;
  if (list == "all") {
    std::vector<std::string> skipped;
    for (const auto& e : estimators()) {
      if ((e.needs_source_probs && !in.source_probs) || (regression && !e.supports_regression))
        skipped.push_back(e.name);
      else
        chosen.push_back(&e);
    }
    if (!skipped.empty())
      std::cerr << fmt::format("note: skipping {} ({})\n", fmt::join(skipped, ", "),
                               regression ? "classification-only or need --source-probs" : "need --source-probs");
    return chosen;
  }
  std::stringstream ss(list);
  for (std::string name; std::getline(ss, name, ',');) {
    const EstimatorInfo& e = find_estimator(name);
    if (e.needs_source_probs && !in.source_probs)
      throw UsageError(e.name + " needs the source model's predicted probabilities: pass --source-probs P");
    if (regression && !e.supports_regression)
      throw UsageError(e.name + " is defined for classification only; the labels are regression targets");
    chosen.push_back(&e);
  }
  return chosen;
}

void run(const ScoreOptions& o) {
  apply_common_options(o.common);
  EstimationInput in;
  in.features = load_array(o.features);
  if (in.features.ndim() != 2)
    throw InputError(location(o.features) + "features must be a 2-D matrix (N×D), got " +
                     shape_string(in.features.shape()));
  in.features = in.features.to(DType::F32);
  in.targets = load_targets(o.labels, o.label_column, o.task);
  if (!o.source_probs.empty()) in.source_probs = load_array(o.source_probs).to(DType::F32);
  validate(in, o.features + " with " + o.labels);

  EstimatorOptions eo;
  eo.knn_k = o.knn_k;
  eo.probe_folds = o.folds;
  eo.seed = o.common.seed;
  std::vector<std::pair<std::string, double>> scores, seconds;
  const std::vector<const EstimatorInfo*> methods = choose_methods(o.methods, in);
  // With "all", a method that cannot run on this input (linear_probe on a class with one
  // example) is skipped with its reason, as methods without --source-probs are; a method
  // asked for by name still fails the command.
  const bool all = o.methods == "all";
  std::vector<std::string> skipped;
  {
    ProgressBar progress("scoring", static_cast<std::int64_t>(methods.size()));
    for (const EstimatorInfo* e : methods) {
      progress.show(e->name);
      Stopwatch watch;
      try {
        const double score = e->fn(in, eo);
        seconds.emplace_back(e->name, watch.seconds());
        scores.emplace_back(e->name, score);
      } catch (const InputError& error) {
        if (!all) throw;
        std::string why = error.what();
        if (why.starts_with(e->name + ": ")) why.erase(0, e->name.size() + 2);
        skipped.push_back(fmt::format("note: skipping {}: {}", e->name, why));
      }
      progress.advance();
    }
  }
  for (const auto& note : skipped) std::cerr << note << "\n";
  if (scores.empty())
    throw InputError(
        fmt::format("{} with {}: no method could run on this input (see the notes above)", o.features, o.labels));

  if (o.common.json) {
    nlohmann::ordered_json j;
    j["n"] = in.features.rows();
    j["d"] = in.features.cols();
    j["scores"] = nlohmann::ordered_json::object();
    j["seconds"] = nlohmann::ordered_json::object();
    for (const auto& [name, v] : scores) j["scores"][name] = v;
    for (const auto& [name, v] : seconds) j["seconds"][name] = v;
    print_json(j);
    return;
  }
  ResultTable table{{"method", "score", "seconds"}, {}};
  for (std::size_t i = 0; i < scores.size(); ++i)
    table.rows.push_back({scores[i].first, format_number(scores[i].second), fmt::format("{:.4f}", seconds[i].second)});
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
