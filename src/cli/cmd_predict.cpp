// taskscout predict: per-row class probabilities (or regression values) of a fine-tuned
// model, in input order — what LEEP and NCE read as source-model predictions.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout::cli {
namespace {

struct PredictOptions {
  CommonOptions common;
  std::string model, base, data, out, text_column = "text", text_pair_column;
  std::size_t max_length = 0, batch_size = 32;
  bool force = false;
};

void write_csv(const std::string& path, const at::Tensor& values, const std::vector<std::string>& columns) {
  ResultTable table{columns, {}};
  const at::Tensor v = values.to(at::kDouble).contiguous();
  for (std::int64_t i = 0; i < v.size(0); ++i) {
    std::vector<std::string> row;
    for (std::int64_t j = 0; j < v.size(1); ++j) row.push_back(format_number(v[i][j].item<double>()));
    table.rows.push_back(std::move(row));
  }
  write_file_atomically(path, format_table(table, true));
}

void run(const PredictOptions& o) {
  apply_common_options(o.common);
  if (!o.out.ends_with(".csv") && !o.out.ends_with(".safetensors") && !o.out.ends_with(".npy"))
    throw UsageError("--out must end in .csv, .safetensors or .npy");
  check_output(o.out, array_output_rule(o.out, {o.model, o.base, o.data}, o.force));  // before the work, not after
  const TaskModel model = load_task_model(o.model, o.base);
  DatasetOptions options;
  options.text_column = o.text_column;
  options.text_pair_column = o.text_pair_column;
  options.label_column = "";  // texts only; labels, if any, are ignored
  const Dataset data = load_dataset(o.data, options);

  text::Tokenizer tokenizer = task_tokenizer(model, o.model);
  const std::size_t max_length = o.max_length == 0 ? model.max_length : o.max_length;
  Stopwatch watch;
  const TokenizedTexts texts = tokenize_texts(tokenizer, data.texts, data.text_pairs, max_length, o.data);
  at::Tensor logits;
  {
    ProgressBar bar("predicting", static_cast<std::int64_t>(data.texts.size()));
    std::size_t shown = 0;
    logits = predict_logits(model, texts, o.batch_size, [&](std::size_t done) {
      bar.advance(static_cast<std::int64_t>(done - shown));
      shown = done;
    });
  }
  // Probabilities by softmax in float64 (rows sum to 1 to rounding); regression: the value.
  const at::Tensor values = model.regression() ? logits : at::softmax(logits.to(at::kDouble), 1).to(at::kFloat);
  const std::vector<std::string> columns =
      model.regression() ? std::vector<std::string>{"prediction"} : model.config.labels;
  if (o.out.ends_with(".csv"))
    write_csv(o.out, values, columns);
  else
    save_array(o.out, to_array(values.contiguous()), model.regression() ? "predictions" : "probabilities");
  const double seconds = watch.seconds();
  if (o.common.json) {
    nlohmann::ordered_json j = {{"out", o.out},
                                {"n", values.size(0)},
                                {"columns", columns},
                                {"truncated", texts.truncated},
                                {"seconds", seconds}};
    print_json(j);
    return;
  }
  ResultTable table{{"out", "n", "columns", "seconds"}, {}};
  table.rows.push_back(
      {o.out, std::to_string(values.size(0)), std::to_string(values.size(1)), fmt::format("{:.2f}", seconds)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_predict_command(CLI::App& app) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "Per-row class probabilities of a fine-tuned model");
  cmd->footer(
      "Example:\n  taskscout predict --model sst2-full --data target.csv --out probs.npy\n"
      "Writes an N×C float32 array of softmax probabilities (columns in the model's label order,\n"
      "the CSV header names them), or N×1 predictions for a regression model. Rows keep input order.\n"
      "Feed it to 'taskscout score --source-probs' for LEEP and NCE.");
  cmd->add_option("--model", o->model, "Fine-tuned model folder (full, LoRA or adapter)")->required();
  cmd->add_option("--base", o->base, "Base model folder of a LoRA or adapter folder (default: the one it names)");
  cmd->add_option("--data", o->data, "Dataset (.csv, .tsv, .jsonl); only its texts are read")->required();
  cmd->add_option("--out", o->out, "Output (.csv, .safetensors or .npy)")->required();
  cmd->add_flag("--force", o->force, "Replace --out even if taskscout did not write it");
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--max-length", o->max_length, "Tokens per text (default: as trained)");
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->check(CLI::PositiveNumber)->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
