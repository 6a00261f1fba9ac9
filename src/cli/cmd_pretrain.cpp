// taskscout pretrain: masked-language-model pretraining of a small BERT from raw text,
// WordPiece vocabulary included (train/pretrain.hpp).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/train/pretrain.hpp"
#include "training.hpp"

namespace taskscout::cli {
namespace {

struct PretrainCliOptions {
  CommonOptions common;
  std::string config, out, text_column = "text";
  std::vector<std::string> corpus;
  bool resume = false;
};

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+") ==
                        std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string resume_command(const PretrainCliOptions& o, bool seed_given) {
  std::string cmd = "taskscout pretrain --config " + shell_quote(o.config) + " --corpus";
  for (const auto& c : o.corpus) cmd += " " + shell_quote(c);
  cmd += " --out " + shell_quote(o.out);
  if (o.text_column != "text") cmd += " --text-column " + shell_quote(o.text_column);
  if (seed_given) cmd += fmt::format(" --seed {}", o.common.seed);
  if (o.common.threads > 0) cmd += fmt::format(" --threads {}", o.common.threads);
  return cmd + " --resume";
}

void run(const PretrainCliOptions& o, bool seed_given) {
  apply_common_options(o.common);
  PretrainConfig config = parse_pretrain_config(MappedFile(o.config).text(), o.config);
  if (seed_given) config.seed = o.common.seed;
  std::vector<std::filesystem::path> files(o.corpus.begin(), o.corpus.end());
  CorpusOptions corpus_options;
  corpus_options.text_column = o.text_column;
  const Corpus corpus = read_corpus(files, corpus_options);
  std::cerr << fmt::format("corpus: {} texts, {:.1f} MB from {} files\n", corpus.texts.size(),
                           static_cast<double>(corpus.bytes) / 1e6, corpus.files.size());

  PretrainOptions options;
  options.out = o.out;
  options.resume = o.resume;
  options.interrupt = &SigintToFlag::interrupted();  // checked after each step; the checkpoint is then written
  options.note = [](const std::string& s) { std::cerr << s << "\n"; };
  ProgressBars bars;
  options.progress = bars.callbacks();
  PretrainResult r;
  {
    SigintToFlag sigint;
    r = pretrain(config, corpus, options);
  }
  bars.close();
  if (r.interrupted)
    throw Error(fmt::format("interrupted after step {} of {}; the checkpoint in {} is complete. Continue with:\n  {}",
                            r.step, config.steps, o.out, resume_command(o, seed_given)));

  const PretrainLogEntry* train = nullptr;
  const PretrainLogEntry* eval = nullptr;
  for (const auto& e : r.log) (e.split == "train" ? train : eval) = &e;
  auto number = [](const PretrainLogEntry* e, double PretrainLogEntry::*field) {
    return e ? format_number(e->*field) : std::string("-");
  };
  if (o.common.json) {
    nlohmann::ordered_json log = nlohmann::ordered_json::array();
    for (const auto& e : r.log)
      log.push_back({{"step", e.step}, {"split", e.split}, {"loss", e.loss}, {"accuracy", e.accuracy}});
    nlohmann::ordered_json j = {{"out", o.out},
                                {"steps", r.step},
                                {"resumed_from", r.start_step},
                                {"seed", config.seed},
                                {"vocab_size", r.vocab_size},
                                {"train_texts", r.train_texts},
                                {"eval_texts", r.eval_texts},
                                {"train_blocks", r.train_blocks},
                                {"eval_blocks", r.eval_blocks},
                                {"train_loss", train ? train->loss : NAN},
                                {"train_accuracy", train ? train->accuracy : NAN},
                                {"eval_loss", eval ? eval->loss : NAN},
                                {"eval_accuracy", eval ? eval->accuracy : NAN},
                                {"seconds", r.seconds},
                                {"tokens_per_second", r.tokens_per_second},
                                {"log", log}};
    print_json(j);
    return;
  }
  ResultTable table{{"out", "steps", "vocab", "train_loss", "train_acc", "eval_loss", "eval_acc", "tokens/s"}, {}};
  table.rows.push_back({o.out, std::to_string(r.step), std::to_string(r.vocab_size),
                        number(train, &PretrainLogEntry::loss), number(train, &PretrainLogEntry::accuracy),
                        number(eval, &PretrainLogEntry::loss), number(eval, &PretrainLogEntry::accuracy),
                        fmt::format("{:.0f}", r.tokens_per_second)});
  print_table(table, o.common.csv);
}

}  // namespace

void add_pretrain_command(CLI::App& app) {
  auto o = std::make_shared<PretrainCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pretrain", "Pretrain a small BERT (WordPiece vocabulary included) with masked-LM on raw text");
  cmd->footer(
      "Example:\n  taskscout pretrain --config base.json --corpus texts.txt more.csv --out base-encoder\n"
      "CONFIG.json sets the model size, vocabulary, sequence length, batch size, steps, learning rate, warm-up,\n"
      "mask probability and seed (see README). Corpus files: .txt (one text per line), or .csv/.tsv/.jsonl with a\n"
      "text column. The output folder is a Hugging Face BERT folder (embed --model loads it) and a checkpoint,\n"
      "rewritten whole every checkpoint_every steps; Ctrl-C stops after the current step, leaving a complete\n"
      "checkpoint, and --resume continues it bit for bit (same config, corpus and --threads).");
  cmd->add_option("--config", o->config, "Pretraining config (JSON)")->required();
  cmd->add_option("--corpus", o->corpus, "Corpus files (.txt, .csv, .tsv, .jsonl)")->required()->expected(1, -1);
  cmd->add_option("--out", o->out, "Output folder (model + checkpoint)")->required();
  cmd->add_option("--text-column", o->text_column, "Text column of table corpus files")->capture_default_str();
  cmd->add_flag("--resume", o->resume, "Continue from the checkpoint in --out");
  add_common_options(*cmd, o->common);
  cmd->callback([o, cmd] { run(*o, cmd->get_option("--seed")->count() > 0); });
}

}  // namespace taskscout::cli
