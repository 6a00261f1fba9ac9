// taskscout report: a benchmark folder as one self-contained HTML page (the transfer
// matrix, every ranker against it, quality against cost). The reading and the page are the
// eval module's; this file reads flags and writes the file.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/benchmark_results.hpp"
#include "taskscout/eval/report.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/output_guard.hpp"

namespace taskscout::cli {
namespace {

struct ReportOptions {
  CommonOptions common;
  std::string from, out, truth = "macro_f1";
  std::size_t bootstrap = 2000;
  bool force = false;
};

void run(const ReportOptions& o) {
  apply_common_options(o.common);
  check_report_output(o.out, o.force, {o.from + "/matrix.csv", o.from + "/scores.csv", o.from + "/rankers.csv"});
  const BenchmarkResults results = read_benchmark_results(o.from, o.truth);
  ComparisonOptions options;
  options.random = true;
  options.bootstrap = o.bootstrap;
  options.seed = o.common.seed;
  const RankerComparison comparison = compare_rankers(results.rankers, results.rows, options);
  write_file_atomically(o.out, render_benchmark_report(benchmark_report(results, comparison)));
  std::cerr << fmt::format("wrote {}: {} targets, {} matrix cells, {} rankers and random\n", o.out,
                           comparison.targets.size(), results.cells.size(), results.rankers.size());
}

}  // namespace

void check_report_output(const std::string& out, bool force, const std::vector<std::string>& inputs) {
  OutputRule rule;
  rule.flag = "--report/--out";
  rule.inputs.assign(inputs.begin(), inputs.end());
  rule.force = force;
  rule.written_by_taskscout = replaceable_report;
  rule.kind = "a taskscout report";
  check_output(out, rule);
}

void add_report_command(CLI::App& app) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand("report", "Write a benchmark folder's results as one self-contained HTML page");
  cmd->footer(
      "Example:\n  taskscout report --from bench-transfer --out report.html\n"
      "The page shows the transfer matrix as a heat map (gain over the target-only baseline; resolved gains\n"
      "outlined), each ranker's scores against the measured truth per target, mean weighted tau and regret@k\n"
      "with bootstrap confidence intervals (the random ranker as reference), quality against seconds per\n"
      "source, and sortable tables. It loads nothing from anywhere: inline SVG, no scripts but its own.");
  cmd->add_option("--from", o->from, "A taskscout benchmark output folder")->required();
  cmd->add_option("--out", o->out, "The HTML file (replaced only if it is an earlier taskscout report)")->required();
  cmd->add_option("--truth", o->truth, "What the rankers are judged against: macro_f1, accuracy or gain")
      ->check(CLI::IsMember({"macro_f1", "accuracy", "gain"}))
      ->capture_default_str();
  cmd->add_option("--bootstrap", o->bootstrap, "Resamples of the targets for the confidence intervals")
      ->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace --out even if it is not a taskscout report");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
