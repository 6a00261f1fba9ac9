// taskscout synth: writes a synthetic pool (see eval/synthetic_pool.hpp) as array files, or
// with --text-tasks a family of text classification tasks with known shared factors
// (eval/synthetic_text_tasks.hpp) as CSV files.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/synthetic_pool.hpp"
#include "taskscout/eval/synthetic_text_tasks.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/atomic_file.hpp"

namespace taskscout::cli {
namespace {

struct SynthOptions {
  CommonOptions common;
  std::string out;
  SyntheticPoolSpec spec;
  bool text_tasks = false, sources_given = false, targets_given = false;
  SyntheticTextSpec text;
};

void run_text_tasks(SynthOptions& o) {
  SyntheticTextSpec& spec = o.text;
  spec.seed = o.common.seed;
  if (o.sources_given) spec.sources = o.spec.sources;
  if (o.targets_given) spec.targets = o.spec.targets;
  const SyntheticTextFamily family = make_synthetic_text_tasks(spec);
  write_synthetic_text_tasks(o.out, family, spec);
  // The tasks and their factors on stdout (the truth a ranking is judged against).
  ResultTable table{{"task", "role", "factors", "classes"}, {}};
  for (const auto& t : family.tasks) {
    std::string factors;
    for (int k : t.factors) factors += (factors.empty() ? "" : "+") + synthetic_text_factors()[k].name;
    table.rows.push_back({t.name, t.target ? "target" : "source", factors, std::to_string(t.label_names.size())});
  }
  print_table(table, o.common.csv);
  std::cerr << fmt::format(
      "wrote {} text tasks ({} train, {} dev, {} test rows each), manifest.json and truth.csv "
      "to {}\n",
      family.tasks.size(), spec.train, spec.dev, spec.test, o.out);
}

void run(SynthOptions o) {
  apply_common_options(o.common);
  if (o.text_tasks) return run_text_tasks(o);
  o.spec.seed = o.common.seed;
  const SyntheticPool pool = make_synthetic_pool(o.spec);
  namespace fs = std::filesystem;
  const fs::path dir = o.out;
  std::error_code ec;
  for (const char* sub : {"features", "probs", "labels"}) {
    fs::create_directories(dir / sub, ec);
    if (ec) throw IoError(location((dir / sub).string()) + "cannot create the folder: " + ec.message());
  }
  for (const auto& s : pool.sources) {
    save_array(dir / "features" / (s.name + ".npy"), s.features);
    save_array(dir / "probs" / (s.name + ".npy"), s.probs);
  }
  for (const auto& t : pool.targets) save_array(dir / "labels" / (t.name + ".npy"), t.labels);
  // The known structure, one row per (target, source), for judging rankings.
  ResultTable table{{"target", "source", "shared_factors", "target_factors", "source_noise"}, {}};
  for (const auto& t : pool.targets)
    for (const auto& s : pool.sources)
      table.rows.push_back({t.name, s.name, std::to_string(shared_factors(s, t)), std::to_string(t.factors.size()),
                            fmt::format("{:.3f}", s.noise)});
  write_file_atomically(dir / "pool.csv", format_table(table, /*csv=*/true));
  std::cerr << fmt::format("wrote {} sources and {} targets ({} examples, {} dims) to {}\n", pool.sources.size(),
                           pool.targets.size(), o.spec.examples, o.spec.dim, dir.string());
}

}  // namespace

void add_synth_command(CLI::App& app) {
  auto o = std::make_shared<SynthOptions>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a synthetic pool of sources and targets with known structure");
  cmd->footer(
      "Example:\n  taskscout synth --out demo --sources 10 --targets 3 --seed 1\n"
      "Writes features/SOURCE.npy (N×D float32), probs/SOURCE.npy (a source model's softmax outputs),\n"
      "labels/TARGET.npy (int64 class ids) and pool.csv (which latent factors each pair shares).\n"
      "  taskscout synth --text-tasks --out tasks --sources 8 --seed 1\n"
      "Writes English text classification tasks whose labels follow one or two latent factors (sentiment,\n"
      "topic, negation, tense, speaker, certainty): TASK/{train,dev,test}.csv, manifest.json (each task's\n"
      "factors and labels) and truth.csv (the factors each target shares with each source).");
  cmd->add_option("--out", o->out, "Output folder")->required();
  cmd->add_option("--sources", o->spec.sources, "Number of sources (text tasks: default 8)")
      ->capture_default_str()
      ->each([o](const std::string&) { o->sources_given = true; });
  cmd->add_option("--targets", o->spec.targets, "Number of targets (text tasks: default 1)")
      ->capture_default_str()
      ->each([o](const std::string&) { o->targets_given = true; });
  cmd->add_option("--examples", o->spec.examples, "Examples (rows) per array")->capture_default_str();
  cmd->add_option("--dim", o->spec.dim, "Feature dimension")->capture_default_str();
  cmd->add_option("--classes", o->spec.classes, "Classes per target")->capture_default_str();
  cmd->add_option("--factors", o->spec.factors, "Latent factors")->capture_default_str();
  cmd->add_flag("--text-tasks", o->text_tasks,
                "Write text classification tasks (TASK/{train,dev,test}.csv, manifest.json, truth.csv) instead");
  cmd->add_option("--train-rows", o->text.train, "Text tasks: training rows per task")->capture_default_str();
  cmd->add_option("--dev-rows", o->text.dev, "Text tasks: dev rows per task")->capture_default_str();
  cmd->add_option("--test-rows", o->text.test, "Text tasks: test rows per task")->capture_default_str();
  cmd->add_option("--max-task-factors", o->text.max_task_factors, "Text tasks: factors per source, at most (1 or 2)")
      ->capture_default_str();
  cmd->add_option("--label-noise", o->text.label_noise, "Text tasks: share of labels redrawn at random")
      ->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
