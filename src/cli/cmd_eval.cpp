// taskscout eval: how well a score column ranks sources, per target, against measured truth.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/transfer_table.hpp"
#include "taskscout/io/table.hpp"

namespace taskscout::cli {
namespace {

struct EvalOptions {
  CommonOptions common;
  std::string data, score_column, truth_column, target_column = "target", source_column = "source";
};

double parse_number(const Table& table, std::size_t row, std::size_t column) {
  const std::string& text = table.rows[row][column];
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value))
    throw InputError(fmt::format("{}column '{}' holds '{}', not a finite number; fix or drop that row",
                                 location(table.path, table.lines[row]), table.columns[column], text));
  return value;
}

std::vector<TransferRow> read_rows(const EvalOptions& o) {
  const Table table = read_table(o.data);
  const std::size_t score = table.require_column(o.score_column);
  const std::size_t truth = table.require_column(o.truth_column);
  const std::size_t source = table.require_column(o.source_column);
  // Without a target column every row belongs to one target.
  const auto target = table.column_index(o.target_column);
  std::vector<TransferRow> rows;
  rows.reserve(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r)
    rows.push_back({target ? table.rows[r][*target] : "all", table.rows[r][source], parse_number(table, r, score),
                    parse_number(table, r, truth), table.lines[r]});
  if (rows.empty()) throw InputError(location(o.data) + "no rows to evaluate");
  return rows;
}

nlohmann::ordered_json to_json(const TargetEvaluation& t) {
  nlohmann::ordered_json j;
  j["n"] = t.n;
  const auto metrics = transfer_metrics();
  for (std::size_t i = 0; i < metrics.size(); ++i)
    j[std::string(metrics[i].name)] = t.values[i] ? nlohmann::ordered_json(*t.values[i]) : nullptr;
  return j;
}

void run(const EvalOptions& o) {
  apply_common_options(o.common);
  const TransferEvaluation result = evaluate_transfer(read_rows(o));
  if (o.common.json) {
    nlohmann::ordered_json j;
    j["targets"] = nlohmann::ordered_json::object();
    for (const auto& t : result.targets) j["targets"][t.target] = to_json(t);
    j["mean"] = to_json(result.mean);
    std::cout << j.dump(1) << "\n";
    return;
  }
  ResultTable table{{"target", "n"}, {}};
  for (const auto& m : transfer_metrics()) table.columns.emplace_back(m.name);
  auto add = [&](const std::string& name, const TargetEvaluation& t) {
    std::vector<std::string> row = {name, std::to_string(t.n)};
    for (const auto& v : t.values) row.push_back(v ? fmt::format("{:.4f}", *v) : "");
    table.rows.push_back(std::move(row));
  };
  for (const auto& t : result.targets) add(t.target, t);
  add("mean", result.mean);
  print_table(table, o.common.csv);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a ranking score against measured transfer, per target");
  cmd->footer(
      "Example:\n  taskscout eval --data transfer.csv --score-column logme --truth-column finetune_accuracy\n"
      "One row per (target, source); CSV, TSV or JSONL. Metrics: weighted tau (as scipy.stats.weightedtau),\n"
      "Kendall tau-b, Spearman, Pearson, regret@k = (best - best of top-k)/best*100, NDCG@5 with gain\n"
      "2^(100*truth)-1, precision@3. Undefined values (e.g. a constant column) print empty / JSON null;\n"
      "the mean row averages each metric over the targets where it is defined, and its n counts targets.");
  cmd->add_option("--data", o->data, "The transfer table (.csv, .tsv, .jsonl)")->required();
  cmd->add_option("--score-column", o->score_column, "Predicted score column (higher = better)")->required();
  cmd->add_option("--truth-column", o->truth_column, "Measured transfer performance column")->required();
  cmd->add_option("--target-column", o->target_column, "Target name column (absent: one target)")
      ->capture_default_str();
  cmd->add_option("--source-column", o->source_column, "Source name column")->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
