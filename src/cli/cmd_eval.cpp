// taskscout eval: how well score columns rank sources, per target, against measured truth.
// One score column prints its per-target table (the original output); several columns,
// --random or --bootstrap compare rankers: means over targets with bootstrap intervals.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/eval/ranker_comparison.hpp"
#include "taskscout/eval/transfer_table.hpp"
#include "taskscout/io/table.hpp"

namespace taskscout::cli {
namespace {

struct EvalOptions {
  CommonOptions common;
  std::string data, score_column, truth_column, target_column = "target", source_column = "source";
  std::string ignore_columns;
  bool random = false, per_target = false;
  std::size_t bootstrap = 2000;
  bool bootstrap_given = false;  // --bootstrap on the command line: compare rankers even for one column
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

// A missing score: an empty cell, NaN, NA, null or None (any case), as pandas writes them.
bool is_missing(const std::string& text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.empty() || lower == "nan" || lower == "na" || lower == "null" || lower == "none";
}

// A score cell: NaN when missing (the ranker then drops that source), else a finite number.
double parse_score(const Table& table, std::size_t row, std::size_t column) {
  if (is_missing(table.rows[row][column])) return std::numeric_limits<double>::quiet_NaN();
  return parse_number(table, row, column);
}

std::vector<TransferRow> read_rows(const Table& table, const EvalOptions& o) {
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

// The score columns --score-column names: one column, a comma-separated list, or "all" =
// every numeric column but the target, source and truth columns and --ignore-columns.
std::vector<std::string> score_columns(const Table& table, const EvalOptions& o) {
  // A column whose own name holds commas still works as before.
  if (table.column_index(o.score_column)) {
    if (!o.ignore_columns.empty()) throw UsageError("--ignore-columns applies only to --score-column all");
    return {o.score_column};
  }
  const std::vector<std::string> names = split_list(o.score_column);
  if (names.empty()) throw UsageError("--score-column is empty; give a column, a comma-separated list, or all");
  if (std::find(names.begin(), names.end(), "all") == names.end()) {
    if (!o.ignore_columns.empty()) throw UsageError("--ignore-columns applies only to --score-column all");
    for (const auto& name : names) table.require_column(name);
    return names;
  }
  if (names.size() > 1)
    throw UsageError(
        fmt::format("--score-column '{}' mixes all with column names; give all or the names", o.score_column));

  std::vector<std::string> ignored = {o.target_column, o.source_column, o.truth_column};
  for (const auto& name : split_list(o.ignore_columns)) {
    if (!table.column_index(name))
      throw UsageError(fmt::format("--ignore-columns names '{}', which {} does not have; its columns: {}", name,
                                   table.path, fmt::join(table.columns, ", ")));
    ignored.push_back(name);
  }
  std::vector<std::string> numeric, skipped;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    if (std::find(ignored.begin(), ignored.end(), table.columns[c]) != ignored.end()) continue;
    bool any_number = false, all_numbers = true;
    for (const auto& row : table.rows) {
      const std::string& text = row[c];
      if (is_missing(text)) continue;
      double value = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        all_numbers = false;
        break;
      }
      any_number = true;
    }
    (all_numbers && any_number ? numeric : skipped).push_back(table.columns[c]);
  }
  if (!skipped.empty())
    std::cerr << fmt::format("note: --score-column all skips the non-numeric columns {}\n", fmt::join(skipped, ", "));
  if (numeric.empty())
    throw UsageError(
        fmt::format("{} has no numeric score column besides '{}', '{}' and '{}'; name one with --score-column",
                    table.path, o.target_column, o.source_column, o.truth_column));
  return numeric;
}

std::vector<ComparisonRow> read_comparison_rows(const Table& table, const std::vector<std::string>& names,
                                                const EvalOptions& o) {
  std::vector<std::size_t> scores;
  for (const auto& name : names) scores.push_back(table.require_column(name));
  const std::size_t truth = table.require_column(o.truth_column);
  const std::size_t source = table.require_column(o.source_column);
  const auto target = table.column_index(o.target_column);
  std::vector<ComparisonRow> rows;
  rows.reserve(table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    ComparisonRow row;
    row.target = target ? table.rows[r][*target] : "all";
    row.source = table.rows[r][source];
    for (std::size_t c : scores) row.scores.push_back(parse_score(table, r, c));
    row.truth = parse_number(table, r, truth);
    row.line = table.lines[r];
    rows.push_back(std::move(row));
  }
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

std::string cell(const Metric& v) { return v ? fmt::format("{:.4f}", *v) : ""; }

void print_single(const TransferEvaluation& result, const EvalOptions& o) {
  if (o.common.json) {
    nlohmann::ordered_json j;
    j["targets"] = nlohmann::ordered_json::object();
    for (const auto& t : result.targets) j["targets"][t.target] = to_json(t);
    j["mean"] = to_json(result.mean);
    print_json(j);
    return;
  }
  ResultTable table{{"target", "n"}, {}};
  for (const auto& m : transfer_metrics()) table.columns.emplace_back(m.name);
  auto add = [&](const std::string& name, const TargetEvaluation& t) {
    std::vector<std::string> row = {name, std::to_string(t.n)};
    for (const auto& v : t.values) row.push_back(cell(v));
    table.rows.push_back(std::move(row));
  };
  for (const auto& t : result.targets) add(t.target, t);
  add("mean", result.mean);
  print_table(table, o.common.csv);
}

// JSON: {"rankers": {NAME: {"mean", "ci": {metric: [lo, hi] | null}, "targets", "dropped"}},
// "targets": N, "bootstrap", "confidence", "seed"}. Table: one "mean" row per ranker, each
// metric as "mean [lo, hi]" (CSV: separate _lo and _hi columns); --per-target adds each
// target's row above its ranker's mean.
void print_comparison(const RankerComparison& c, const EvalOptions& o) {
  const auto metrics = transfer_metrics();
  if (o.common.json) {
    nlohmann::ordered_json j;
    j["rankers"] = nlohmann::ordered_json::object();
    for (const auto& r : c.rankers) {
      nlohmann::ordered_json x;
      x["mean"] = to_json(r.mean);
      x["ci"] = nlohmann::ordered_json::object();
      for (std::size_t m = 0; m < metrics.size(); ++m)
        x["ci"][std::string(metrics[m].name)] =
            r.ci[m].lo && r.ci[m].hi ? nlohmann::ordered_json::array({*r.ci[m].lo, *r.ci[m].hi}) : nullptr;
      x["targets"] = nlohmann::ordered_json::object();
      for (std::size_t t = 0; t < r.targets.size(); ++t) {
        nlohmann::ordered_json target = to_json(r.targets[t]);
        target["dropped"] = r.dropped_by_target[t];
        x["targets"][r.targets[t].target] = std::move(target);
      }
      x["dropped"] = r.dropped;
      j["rankers"][r.name] = std::move(x);
    }
    j["targets"] = c.targets.size();
    j["bootstrap"] = c.bootstrap;
    j["confidence"] = c.confidence;
    j["seed"] = c.seed;
    print_json(j);
    return;
  }

  const bool csv = o.common.csv;
  ResultTable table{{"ranker", "target", "n", "dropped"}, {}};
  for (const auto& m : metrics) {
    table.columns.emplace_back(m.name);
    if (csv) {
      table.columns.push_back(std::string(m.name) + "_lo");
      table.columns.push_back(std::string(m.name) + "_hi");
    }
  }
  for (const auto& r : c.rankers) {
    if (o.per_target)
      for (std::size_t t = 0; t < r.targets.size(); ++t) {
        std::vector<std::string> row = {r.name, r.targets[t].target, std::to_string(r.targets[t].n),
                                        std::to_string(r.dropped_by_target[t])};
        for (const auto& v : r.targets[t].values) {
          row.push_back(cell(v));
          if (csv) row.insert(row.end(), {"", ""});
        }
        table.rows.push_back(std::move(row));
      }
    std::vector<std::string> row = {r.name, "mean", std::to_string(r.mean.n), std::to_string(r.dropped)};
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const Metric& v = r.mean.values[m];
      const MetricInterval& ci = r.ci[m];
      if (csv) {
        row.insert(row.end(), {cell(v), cell(ci.lo), cell(ci.hi)});
      } else {
        row.push_back(v && ci.lo && ci.hi ? fmt::format("{:.4f} [{:.4f}, {:.4f}]", *v, *ci.lo, *ci.hi) : cell(v));
      }
    }
    table.rows.push_back(std::move(row));
  }
  print_table(table, csv);
}

void run(const EvalOptions& o) {
  apply_common_options(o.common);
  const Table table = read_table(o.data);
  const std::vector<std::string> names = score_columns(table, o);
  if (names.size() == 1 && !o.random && !o.bootstrap_given) {
    EvalOptions single = o;
    single.score_column = names[0];
    print_single(evaluate_transfer(read_rows(table, single)), o);
    return;
  }
  ComparisonOptions options;
  options.random = o.random;
  options.bootstrap = o.bootstrap;
  options.seed = o.common.seed;
  print_comparison(compare_rankers(names, read_comparison_rows(table, names, o), options), o);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate ranking scores against measured transfer, per target");
  cmd->footer(
      "Examples:\n  taskscout eval --data transfer.csv --score-column logme --truth-column finetune_accuracy\n"
      "  taskscout eval --data transfer.csv --score-column logme,knn --random --truth-column finetune_accuracy\n"
      "  taskscout eval --data transfer.csv --score-column all --ignore-columns notes --random --per-target --csv\n"
      "One row per (target, source); CSV, TSV or JSONL. Metrics: weighted tau (as scipy.stats.weightedtau),\n"
      "Kendall tau-b, Spearman, Pearson, regret@k = (best - best of top-k)/best*100, NDCG@5 with gain\n"
      "2^(100*truth)-1, precision@3. Undefined values (e.g. a constant column) print empty / JSON null;\n"
      "the mean row averages each metric over the targets where it is defined, and its n counts targets.\n"
      "Several score columns, --random or --bootstrap compare rankers: one mean row per ranker, each metric\n"
      "with its percentile bootstrap 95% interval over targets (targets resampled with replacement, the same\n"
      "resamples for every ranker, --seed). A missing score (empty, nan, NA, null) drops that source for that\n"
      "ranker on that target only; 'dropped' counts them. The random ranker is exact: each metric's expected\n"
      "value over all orders of a target's sources.");
  cmd->add_option("--data", o->data, "The transfer table (.csv, .tsv, .jsonl)")->required();
  cmd->add_option("--score-column", o->score_column,
                  "Predicted score column (higher = better), a comma-separated list, or all (every numeric column "
                  "but target, source, truth and --ignore-columns)")
      ->required();
  cmd->add_option("--truth-column", o->truth_column, "Measured transfer performance column")->required();
  cmd->add_option("--target-column", o->target_column, "Target name column (absent: one target)")
      ->capture_default_str();
  cmd->add_option("--source-column", o->source_column, "Source name column")->capture_default_str();
  cmd->add_option("--ignore-columns", o->ignore_columns, "Columns --score-column all leaves out (comma-separated)");
  cmd->add_flag("--random", o->random, "Add the random ranker (exact expected values) as a ranker named random");
  CLI::Option* bootstrap =
      cmd->add_option("--bootstrap", o->bootstrap, "Bootstrap resamples of the targets for the intervals (0: none)")
          ->check(CLI::Range(0, 1000000))
          ->capture_default_str();
  cmd->add_flag("--per-target", o->per_target, "With several rankers: also print each target's row");
  add_common_options(*cmd, o->common);
  cmd->callback([o, bootstrap] {
    o->bootstrap_given = bootstrap->count() > 0;
    run(*o);
  });
}

}  // namespace taskscout::cli
