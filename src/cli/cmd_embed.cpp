// taskscout embed: texts of a dataset → one embedding per row, with a model folder's
// tokenizer and encoder.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/model/embed.hpp"

namespace taskscout::cli {
namespace {

struct EmbedOptions {
  CommonOptions common;
  std::string model, data, out, text_column = "text", text_pair_column, pooling = "cls";
  int layer = -1;
  std::size_t max_length = 0, batch_size = 32;
  bool force = false;
};

void run(const EmbedOptions& o) {
  apply_common_options(o.common);
  if (!o.out.ends_with(".safetensors") && !o.out.ends_with(".npy"))
    throw UsageError("--out must end in .safetensors or .npy");
  check_output(o.out, array_output_rule(o.out, {o.model, o.data}, o.force));  // before the work, not after
  TextEmbeddingOptions options;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  DatasetOptions data_options;
  data_options.text_column = o.text_column;
  data_options.text_pair_column = o.text_pair_column;
  data_options.label_column = "";  // texts only
  const Dataset data = load_dataset(o.data, data_options);
  ProgressBars bars;
  const EmbeddedTexts result = embed_dataset(o.model, data, options, bars.callbacks());
  bars.close();
  const double seconds = result.seconds;
  save_array(o.out, result.embeddings, "embeddings");
  const auto n = result.embeddings.rows(), d = result.embeddings.cols();
  if (result.truncated_texts > 0)
    std::cerr << fmt::format("note: {} of {} texts were longer than {} tokens and were truncated\n",
                             result.truncated_texts, n, result.max_length);
  if (o.common.json) {
    nlohmann::ordered_json j = {{"n", n},
                                {"d", d},
                                {"out", o.out},
                                {"pooling", o.pooling},
                                {"truncated", result.truncated_texts},
                                {"tokens", result.tokens},
                                {"padded_tokens", result.padded_tokens},
                                {"seconds", seconds},
                                {"texts_per_second", static_cast<double>(n) / seconds}};
    print_json(j);
    return;
  }
  ResultTable table{{"out", "n", "d", "truncated", "seconds", "texts/s"}, {}};
  table.rows.push_back({o.out, std::to_string(n), std::to_string(d), std::to_string(result.truncated_texts),
                        fmt::format("{:.2f}", seconds), fmt::format("{:.1f}", static_cast<double>(n) / seconds)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto o = std::make_shared<EmbedOptions>();
  CLI::App* cmd = app.add_subcommand("embed", "Embed the texts of a dataset with a Hugging Face model folder");
  cmd->footer(
      "Example:\n  taskscout embed --model bert-folder --data train.csv --pooling mean --out train.safetensors\n"
      "The folder holds config.json, model.safetensors (or a sharded index) and tokenizer.json (or vocab.txt).\n"
      "Supported: BERT, RoBERTa, XLM-RoBERTa, DistilBERT. Texts are batched by length; rows keep input order.");
  cmd->add_option("--model", o->model, "Model folder")->required();
  cmd->add_option("--data", o->data, "Dataset (.csv, .tsv, .jsonl)")->required();
  cmd->add_option("--out", o->out, "Output features, N×D float32 (.safetensors or .npy)")->required();
  cmd->add_flag("--force", o->force, "Replace --out even if taskscout did not write it");
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--pooling", o->pooling, "cls, mean (over real tokens) or pooler")
      ->check(CLI::IsMember({"cls", "mean", "pooler"}))
      ->capture_default_str();
  cmd->add_option("--layer", o->layer, "Hidden state to pool: 0 embeddings, 1..L layers, negative from the end")
      ->capture_default_str();
  cmd->add_option("--max-length", o->max_length, "Tokens per text incl. special tokens (default: the model's limit)");
  cmd->add_option("--batch-size", o->batch_size, "Texts per batch")->check(CLI::PositiveNumber)->capture_default_str();
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
