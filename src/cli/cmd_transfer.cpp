// taskscout transfer: rank a registry for a target, compose the top k, train, and measure
// the test accuracy beside the target-only baseline, the best single source and k random
// sources composed the same way.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/compose/transfer.hpp"
#include "taskscout/core/error.hpp"
#include "training.hpp"

namespace taskscout::cli {
namespace {

namespace fs = std::filesystem;

struct TransferCliOptions {
  CommonOptions common;
  std::string registry, base, target, train, dev, test, compose = "scalearn";
  std::string text_column = "text", text_pair_column, label_column = "label";
  bool no_random = false;
  TransferOptions transfer;
};

// T/<split>.csv, .tsv or .jsonl.
std::string split_file(const std::string& folder, const std::string& split) {
  for (const char* ext : {".csv", ".tsv", ".jsonl"})
    if (fs::exists(fs::path(folder) / (split + ext))) return (fs::path(folder) / (split + ext)).string();
  throw InputError(location(folder) + fmt::format("no {0}.csv, {0}.tsv or {0}.jsonl; or pass --{0} FILE", split));
}

TransferTarget load_target(const TransferCliOptions& o) {
  if (o.target.empty() && (o.train.empty() || o.dev.empty() || o.test.empty()))
    throw UsageError("give the target as --target FOLDER (train, dev and test files) or --train, --dev and --test");
  DatasetOptions data;
  data.text_column = o.text_column;
  data.text_pair_column = o.text_pair_column;
  data.label_column = o.label_column;
  data.kind = LabelKind::Classification;  // the rows are compared by test accuracy and macro-F1
  TransferTarget t;
  t.name = o.target.empty() ? o.train : o.target;
  t.train = load_dataset(o.train.empty() ? split_file(o.target, "train") : o.train, data);
  data.label_names = t.train.label_names;  // a dev or test label the train set lacks is an error
  t.dev = load_dataset(o.dev.empty() ? split_file(o.target, "dev") : o.dev, data);
  t.test = load_dataset(o.test.empty() ? split_file(o.target, "test") : o.test, data);
  return t;
}

std::string mean_sd(double mean, double sd) { return fmt::format("{:.4f} ± {:.4f}", mean, sd); }

void run(TransferCliOptions& o) {
  apply_common_options(o.common);
  o.transfer.seed = o.common.seed;
  o.transfer.random_row = !o.no_random;
  o.transfer.compose = split_list(o.compose);

  const TransferTarget target = load_target(o);

  TrainingDisplay display("training");
  TransferProgress progress;
  progress.run = [&](const std::string& row, std::uint64_t seed) {
    display.close();
    std::cerr << fmt::format("{} (seed {})\n", row, seed);
  };
  progress.training = display.progress();
  TransferReport report;
  {
    SigintToFlag sigint;
    report = run_transfer(o.registry, o.base, target, o.transfer, progress);
  }
  display.close();

  if (o.common.json) {
    nlohmann::ordered_json ranking = nlohmann::ordered_json::array(), rows = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < report.ranking.names.size(); ++i)
      ranking.push_back({{"source", report.ranking.names[i]}, {"score", report.ranking.scores[i]}});
    for (const TransferArm& row : report.rows) {
      nlohmann::ordered_json runs = nlohmann::ordered_json::array();
      for (const TransferTrial& r : row.runs)
        runs.push_back({{"seed", r.seed},
                        {"sources", r.sources},
                        {"accuracy", r.test.get("accuracy")},
                        {"macro_f1", r.test.get("macro_f1")},
                        {"seconds", r.seconds}});
      rows.push_back({{"row", row.name},
                      {"accuracy_mean", row.accuracy_mean},
                      {"accuracy_sd", row.accuracy_sd},
                      {"macro_f1_mean", row.macro_f1_mean},
                      {"macro_f1_sd", row.macro_f1_sd},
                      {"gain", row.gain},
                      {"runs", runs}});
    }
    print_json({{"target", target.name},
                {"compose", o.transfer.compose},
                {"k", o.transfer.k},
                {"rank_method", o.transfer.rank_method},
                {"candidates", report.candidates},
                {"ranking", ranking},
                {"rows", rows},
                {"seconds", report.seconds}});
    return;
  }
  std::cerr << fmt::format("{}: the top {} of {} candidate sources by {}: {}\n", target.name, o.transfer.k,
                           report.candidates, o.transfer.rank_method, fmt::join(report.ranking.names, ", "));
  ResultTable table{{"row", "sources", "seeds", "test_accuracy", "test_macro_f1", "gain"}, {}};
  for (const TransferArm& row : report.rows) {
    const std::vector<std::string>& sources = row.runs.front().sources;
    table.rows.push_back(
        {row.name, row.name.rfind("random", 0) == 0 ? "drawn per seed" : fmt::format("{}", fmt::join(sources, ",")),
         std::to_string(row.runs.size()), mean_sd(row.accuracy_mean, row.accuracy_sd),
         mean_sd(row.macro_f1_mean, row.macro_f1_sd),
         row.name == "target-only" ? "" : fmt::format("{:+.2f} pts", 100 * row.gain)});
  }
  print_table(table, o.common.csv);
}

}  // namespace

void add_transfer_command(CLI::App& app) {
  auto o = std::make_shared<TransferCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "transfer", "Rank a registry for a target, combine the top k and measure the gain on its test split");
  cmd->footer(
      "Examples:\n"
      "  taskscout transfer --registry reg --base base --target tasks/cr --k 3 --compose scalearn --seeds 3\n"
      "  taskscout transfer --registry reg --base base --target tasks/cr --compose merge-ties,merge-task-arithmetic\n"
      "Rows, each trained with the same budget and seeds and evaluated on the test split:\n"
      "  target-only      the base fine-tuned on the target alone\n"
      "  best-source      the ranking's first source trained further on the target\n"
      "  top-K <method>   the K best sources by --rank-method, combined\n"
      "  random-K …       K random sources (drawn per seed), combined the same way\n"
      "Compositions (scalearn, scalearn-uniform, scalearn++, scalearn-uniform++, fusion) take the adapter\n"
      "sources and train adapters, or, when the registry has no adapter sources, its LoRA sources (ScaLearn's\n"
      "variants only) and train LoRAs; merges (merge-linear, merge-task-arithmetic, merge-ties, merge-dare-ties,\n"
      "merge-breadcrumbs, …) take the full-model sources, and the merged model is fine-tuned in full. One\n"
      "family per run. gain is the row's mean test accuracy minus target-only's, in points.\n"
      "--max-train-examples N simulates a small target.");
  cmd->add_option("--registry", o->registry, "Registry of sources (adapters or LoRAs to compose, full models to merge)")
      ->required();
  cmd->add_option("--base", o->base, "The base model folder the sources were registered on")->required();
  cmd->add_option("--target", o->target, "Target folder with train, dev and test (.csv, .tsv or .jsonl)");
  cmd->add_option("--train", o->train, "Target training set (instead of --target)");
  cmd->add_option("--dev", o->dev, "Target dev set");
  cmd->add_option("--test", o->test, "Target test set");
  cmd->add_option("--k", o->transfer.k, "Sources to compose")->capture_default_str();
  cmd->add_option("--compose", o->compose,
                  "A composition (scalearn, scalearn-uniform, scalearn++, scalearn-uniform++, fusion) or a merge "
                  "(merge-ties, merge-task-arithmetic, …); a comma-separated list of one family gives each its rows")
      ->capture_default_str();
  cmd->add_option("--rank-method", o->transfer.rank_method, "How the sources are ranked")->capture_default_str();
  cmd->add_option("--seeds", o->transfer.seeds, "Runs per row (seeds --seed, --seed + 1, …)")->capture_default_str();
  cmd->add_flag("--no-random", o->no_random, "Leave out the random-K row");
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column")->capture_default_str();
  add_training_options(*cmd, o->transfer.training,
                       "Peak learning rate of every row (default: each row's own: adapter 1e-3, scalearn 6e-3, "
                       "fusion 5e-5, full fine-tuning 5e-5)");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
