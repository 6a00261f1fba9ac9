// taskscout embed: texts of a dataset → one embedding per row, with a model folder's
// tokenizer and encoder.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/io/output_guard.hpp"
#include "taskscout/model/text_embedding.hpp"

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
  const Encoder encoder = load_encoder(o.model);
  TextEmbeddingOptions options;
  options.embedding.pooling = parse_pooling(o.pooling);
  options.embedding.layer = o.layer;
  options.max_length = o.max_length;
  options.batch_size = o.batch_size;
  check_embedding_options(encoder, options.embedding);  // before reading any data
  text::Tokenizer tokenizer = text::Tokenizer::from_folder(o.model);

  DatasetOptions data_options;
  data_options.text_column = o.text_column;
  data_options.text_pair_column = o.text_pair_column;
  data_options.label_column = "";  // texts only
  const Dataset data = load_dataset(o.data, data_options);

  Stopwatch watch;
  TextEmbeddings result;
  {
    ProgressBar progress("embedding", static_cast<std::int64_t>(data.texts.size()));
    std::size_t shown = 0;
    result = embed_texts(encoder, std::move(tokenizer), data.texts, data.text_pairs, options, o.data,
                         [&](std::size_t done, std::size_t length) {
                           progress.show(fmt::format("length {}", length));
                           progress.advance(static_cast<std::int64_t>(done - shown));
                           shown = done;
                         });
  }
  const double seconds = watch.seconds();
  save_array(o.out, to_array(result.embeddings), "embeddings");

  const auto n = result.embeddings.size(0), d = result.embeddings.size(1);
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
