// taskscout benchmark: measure the transfer matrix of a task suite and score every ranker
// against it (the pipeline is eval/transfer_benchmark.hpp's; this file reads flags, shows
// progress and prints the summary).
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/eval/transfer_benchmark.hpp"

namespace taskscout::cli {
namespace {

struct BenchmarkOptions {
  CommonOptions common;
  TransferBenchmarkOptions run;
  std::string tasks, base, out, sources, targets, rankers;
  bool quick = false, no_measure = false;
};

// A bar on a terminal; otherwise one line per finished unit, so that a log shows progress.
struct BenchmarkBars {
  std::optional<ProgressBar> bar;
  std::string phase;
  std::int64_t total = 0, done = 0;
  Stopwatch watch;
  bool terminal = ::isatty(2) == 1;

  BenchmarkProgress callbacks() {
    BenchmarkProgress p;
    p.start = [this](const std::string& name, std::int64_t n) {
      phase = name;
      total = n;
      done = 0;
      watch = Stopwatch();
      if (n > 0) bar.emplace(name, n);
    };
    p.done = [this](const std::string& what, const std::string& result) {
      ++done;
      if (terminal && bar) {
        bar->show(what);
        bar->advance();
        return;
      }
      const double eta = watch.seconds() / static_cast<double>(done) * static_cast<double>(total - done);
      std::cerr << fmt::format("{} {}/{}: {}: {} (ETA {})\n", phase, done, total, what, result, format_duration(eta));
    };
    p.finish = [this] { bar.reset(); };
    p.note = [](const std::string& message) { std::cerr << "note: " << message << "\n"; };
    return p;
  }
};

void run(BenchmarkOptions& o) {
  apply_common_options(o.common);
  TransferBenchmarkOptions& r = o.run;
  r.tasks = o.tasks;
  r.base = o.base;
  r.out = o.out;
  r.sources = split_list(o.sources);
  r.targets = split_list(o.targets);
  r.rankers = split_list(o.rankers);
  r.seed = o.common.seed;
  r.threads = o.common.threads;
  r.measure = !o.no_measure;
  if (o.quick) apply_quick_settings(r);
  // Under mpirun the processes share the runs; the root alone shows progress and prints.
  Cluster& cluster = job_cluster();
  BenchmarkBars bars;
  const TransferBenchmarkResult result = run_transfer_benchmark(r, bars.callbacks(), cluster);
  if (!cluster.is_root()) return;

  if (o.common.json) {
    nlohmann::ordered_json costs = nlohmann::ordered_json::array();
    for (const auto& c : result.costs)
      costs.push_back({{"method", c.method},
                       {"seconds_per_source", c.seconds_per_source},
                       {"setup_seconds", c.setup_seconds},
                       {"scored", c.scored},
                       {"skipped", c.skipped}});
    print_json(nlohmann::ordered_json{{"out", o.out},
                                      {"targets", result.targets},
                                      {"sources", result.sources},
                                      {"runs", result.runs_total},
                                      {"runs_done", result.runs_done},
                                      {"runs_resumed", result.runs_resumed},
                                      {"cells", result.cells.size()},
                                      {"rankers", costs},
                                      {"seconds", result.seconds}});
    return;
  }
  ResultTable table{{"target", "source", "seeds", "macro_f1", "se", "target_only", "gain", "gain_se", "resolved"}, {}};
  for (const auto& c : result.cells)
    table.rows.push_back({c.target, c.source, std::to_string(c.seeds), fmt::format("{:.4f}", c.macro_f1),
                          std::isfinite(c.macro_f1_se) ? fmt::format("{:.4f}", c.macro_f1_se) : "",
                          fmt::format("{:.4f}", c.baseline_macro_f1), fmt::format("{:+.4f}", c.gain),
                          std::isfinite(c.gain_se) ? fmt::format("{:.4f}", c.gain_se) : "",
                          c.significant() ? "yes" : ""});
  print_table(table, o.common.csv);
  std::cerr << fmt::format(
      "{} targets × {} sources: {} runs ({} measured now, {} resumed) in {}; written to {} (matrix.csv, scores.csv, "
      "rankers.csv); judge the rankers with: taskscout eval --data {}/scores.csv --truth-column macro_f1 "
      "--score-column all --ignore-columns accuracy,gain,gain_se,seeds --random\n",
      result.targets.size(), result.sources.size(), result.runs_total, result.runs_done, result.runs_resumed,
      format_duration(result.seconds), o.out, o.out);
}

}  // namespace

void add_benchmark_command(CLI::App& app) {
  auto o = std::make_shared<BenchmarkOptions>();
  CLI::App* cmd =
      app.add_subcommand("benchmark", "Measure the transfer matrix of a task suite and score every ranker on it");
  cmd->footer(
      "Example:\n"
      "  taskscout benchmark --tasks ../shared/data/tasks --base models/base-encoder --out bench-transfer\n"
      "Truth is intermediate-task transfer: each source is fine-tuned from the base once (and registered with its\n"
      "ESM under OUT/registry); each target is fine-tuned from every other source's model and from the base alone\n"
      "(the target-only baseline), with the same training rows, options and seeds. Test macro-F1 and accuracy\n"
      "per run go to OUT/runs.jsonl (fsynced: a killed run resumes where it stopped; a folder measured with other\n"
      "settings is refused). OUT/matrix.csv holds means, standard errors and the gain over the baseline;\n"
      "OUT/scores.csv every ranker's score beside the truth, for taskscout eval and taskscout report.\n"
      "--quick: 200 target rows, 600 source rows, 2 seeds, 1 epoch (minutes on 2 cores).");
  cmd->add_option("--tasks", o->tasks, "Task manifest (manifest.json) or a folder of task folders")->required();
  cmd->add_option("--base", o->base, "Base model folder")->required();
  cmd->add_option("--out", o->out, "Output folder (created, or resumed)")->required();
  cmd->add_option("--sources", o->sources, "Comma-separated source tasks (default: every task)");
  cmd->add_option("--targets", o->targets, "Comma-separated target tasks (default: every task)");
  TransferBenchmarkOptions& r = o->run;
  cmd->add_option("--method", r.method,
                  "How sources and targets are fine-tuned: full (a target starts from the source's model), adapter "
                  "or lora (the source's adapter trains on over the base)")
      ->check(CLI::IsMember({"full", "adapter", "lora"}))
      ->capture_default_str();
  cmd->add_option("--target-examples", r.target_examples, "Training rows per target (a seeded subset)")
      ->capture_default_str();
  cmd->add_option("--source-examples", r.source_examples, "Training rows per source (0: all)")->capture_default_str();
  cmd->add_option("--dev-examples", r.dev_examples, "Dev rows per task (0: all)")->capture_default_str();
  cmd->add_option("--test-examples", r.test_examples, "Test rows per target (0: all)")->capture_default_str();
  cmd->add_option("--seeds", r.seeds, "Runs per (target, source) pair, seeds --seed, --seed+1, …")
      ->capture_default_str();
  cmd->add_option("--epochs", r.epochs, "Epochs of each target run")->capture_default_str();
  cmd->add_option("--source-epochs", r.source_epochs, "Epochs of each source's fine-tuning")->capture_default_str();
  cmd->add_option("--batch-size", r.batch_size, "Examples per update")->capture_default_str();
  cmd->add_option("--learning-rate", r.learning_rate, "Peak learning rate (0: the method's default)")
      ->capture_default_str();
  cmd->add_option("--max-length", r.max_length, "Tokens per text")->capture_default_str();
  cmd->add_option("--jobs", r.jobs, "Runs at once, each on threads/jobs threads")->capture_default_str();
  cmd->add_option("--rankers", o->rankers, "Comma-separated ranking methods (default: every method of rank)");
  cmd->add_flag("--quick", o->quick, "A few minutes: small budgets for tests and demos");
  cmd->add_flag("--no-measure", o->no_measure, "Measure nothing new: score the rankers over what is measured");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
