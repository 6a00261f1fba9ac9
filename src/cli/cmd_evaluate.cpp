// taskscout evaluate: metrics of a fine-tuned model (full, LoRA or adapter folder) on a
// labelled dataset.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout::cli {
namespace {

struct EvaluateOptions {
  CommonOptions common;
  std::string model, base, data, text_column = "text", text_pair_column, label_column = "label";
  std::size_t max_length = 0, batch_size = 32;
};

void run(const EvaluateOptions& o) {
  apply_common_options(o.common);
  const TaskModel model = load_task_model(o.model, o.base);
  DatasetOptions options;
  options.text_column = o.text_column;
  options.text_pair_column = o.text_pair_column;
  options.label_column = o.label_column;
  options.kind = model.regression() ? LabelKind::Regression : LabelKind::Classification;
  if (!model.regression()) options.label_names = model.config.labels;  // a label the model lacks is an error
  const Dataset data = load_dataset(o.data, options);

  text::Tokenizer tokenizer = task_tokenizer(model, o.model);
  const std::size_t max_length = o.max_length == 0 ? model.max_length : o.max_length;
  Stopwatch watch;
  const TokenizedTexts texts = tokenize_texts(tokenizer, data.texts, data.text_pairs, max_length, o.data);
  Metrics metrics;
  {
    ProgressBar bar("evaluating", 1);
    metrics = evaluate_task_model(model, texts, data, o.batch_size);
    bar.advance();
  }
  const double seconds = watch.seconds();
  if (o.common.json) {
    nlohmann::ordered_json j = {{"model", o.model}, {"data", o.data}, {"n", data.size()}};
    for (const auto& [name, v] : metrics.values) j[name] = v;
    j["seconds"] = seconds;
    print_json(j);
    return;
  }
  ResultTable table{{"model", "data", "n"}, {}};
  std::vector<std::string> row{o.model, o.data, std::to_string(data.size())};
  for (const auto& [name, v] : metrics.values) {
    table.columns.push_back(name);
    row.push_back(format_number(v));
  }
  table.rows.push_back(row);
  print_table(table, o.common.csv);
}

}  // namespace

void add_evaluate_command(CLI::App& app) {
  auto o = std::make_shared<EvaluateOptions>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Metrics of a fine-tuned model on a labelled dataset");
  cmd->footer(
      "Example:\n  taskscout evaluate --model sst2-lora --data test.csv --json\n"
      "--model takes a full model folder or a LoRA / adapter folder (its base is the folder it names,\n"
      "or --base). Classification: accuracy, macro_f1; regression: pearson, spearman, mse.");
  cmd->add_option("--model", o->model, "Fine-tuned model folder")->required();
  cmd->add_option("--base", o->base, "Base model folder of a LoRA or adapter folder (default: the one it names)");
  cmd->add_option("--data", o->data, "Labelled dataset (.csv, .tsv, .jsonl)")->required();
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column")->capture_default_str();
  cmd->add_option("--max-length", o->max_length, "Tokens per text (default: as trained)");
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->check(CLI::PositiveNumber)->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
