// taskscout train: fine-tune a base model folder on a labelled dataset (full, LoRA or a
// bottleneck adapter) and write the result as a Hugging Face / PEFT / adapters folder.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/model/model_writer.hpp"
#include "taskscout/train/fine_tune.hpp"
#include "training.hpp"

namespace taskscout::cli {
namespace {

struct TrainOptions {
  CommonOptions common;
  std::string model, train, dev, out, method = "full", task = "classification";
  std::string text_column = "text", text_pair_column, label_column = "label";
  FineTuneOptions fine_tune;
  std::string placement = "pfeiffer", lora_targets;
};

void run(TrainOptions& o) {
  apply_common_options(o.common);
  FineTuneOptions& f = o.fine_tune;
  f.method = parse_fine_tune_method(o.method);
  f.seed = o.common.seed;
  f.adapter.placement = parse_adapter_placement(o.placement);
  f.lora.target_modules = split_list(o.lora_targets);
  StagedFolder::check_target(o.out);  // before the work, not after

  DatasetOptions data;
  data.text_column = o.text_column;
  data.text_pair_column = o.text_pair_column;
  data.label_column = o.label_column;
  data.kind = o.task == "regression" ? LabelKind::Regression : LabelKind::Classification;
  const auto [train, dev] = load_train_dev(o.train, o.dev, data);

  TrainingDisplay display;
  FineTuneResult r;
  {
    SigintToFlag sigint;
    r = fine_tune(o.model, train, dev, f, display.progress());
  }
  display.close();
  if (r.interrupted) throw Error(fmt::format("interrupted after step {}; nothing was written to {}", r.steps, o.out));
  save_task_model(o.out, r.model, {{"train_log.json", r.log_json(f)}});

  if (r.truncated_texts > 0)
    std::cerr << fmt::format("note: {} texts were longer than {} tokens and were truncated\n", r.truncated_texts,
                             r.model.max_length);
  print_training_result(r, {{"out", o.out}, {"method", o.method}}, o.common);
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto o = std::make_shared<TrainOptions>();
  CLI::App* cmd = app.add_subcommand("train", "Fine-tune a base model on a labelled dataset (full, adapter or LoRA)");
  cmd->footer(
      "Examples:\n"
      "  taskscout train --model base --train train.csv --dev dev.csv --method full --out sst2-full\n"
      "  taskscout train --model base --train train.csv --dev dev.csv --method lora --lora-rank 8 --out sst2-lora\n"
      "  taskscout train --model base --train t.csv --dev d.csv --method adapter --adapter houlsby --out sst2-ad\n"
      "full writes a Hugging Face model folder (config.json with id2label, model.safetensors, tokenizer);\n"
      "lora a PEFT folder (adapter_config.json, adapter_model.safetensors); adapter an adapters-library\n"
      "folder (adapter_config.json, adapter.safetensors, head_config.json, model_head.safetensors).\n"
      "Every folder also holds taskscout.json and train_log.json (every dev evaluation). The kept\n"
      "parameters are those of the best dev evaluation (accuracy; Pearson for regression).");
  cmd->add_option("--model", o->model, "Base model folder")->required();
  cmd->add_option("--train", o->train, "Training set (.csv, .tsv, .jsonl)")->required();
  cmd->add_option("--dev", o->dev, "Dev set, for evaluation and early stopping")->required();
  cmd->add_option("--out", o->out, "Output folder (replaced only if it is an earlier taskscout output)")->required();
  cmd->add_option("--method", o->method, "full, adapter or lora")
      ->check(CLI::IsMember({"full", "adapter", "lora"}))
      ->capture_default_str();
  cmd->add_option("--task", o->task, "classification or regression")
      ->check(CLI::IsMember({"classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--text-column", o->text_column, "Text column")->capture_default_str();
  cmd->add_option("--text-pair-column", o->text_pair_column, "Second text column, for sentence pairs");
  cmd->add_option("--label-column", o->label_column, "Label column")->capture_default_str();
  FineTuneOptions& f = o->fine_tune;
  add_training_options(*cmd, f, "Peak learning rate (default: full 5e-5, adapter 1e-3, lora 5e-4)");
  cmd->add_option("--lora-rank", f.lora.rank, "LoRA rank r")->capture_default_str();
  cmd->add_option("--lora-alpha", f.lora.alpha, "LoRA alpha (scaling alpha/r)")->capture_default_str();
  cmd->add_option("--lora-targets", o->lora_targets,
                  "Comma-separated modules (default: query,value; q_lin,v_lin for DistilBERT)");
  cmd->add_option("--adapter", o->placement, "Adapter placement: pfeiffer or houlsby")->capture_default_str();
  cmd->add_option("--reduction-factor", f.adapter.reduction_factor, "Adapter bottleneck = hidden / factor")
      ->capture_default_str();
  cmd->add_option("--adapter-name", f.adapter.name, "The adapter's name in tensor names")->capture_default_str();
  cmd->add_option("--init-from", f.init_from,
                  "Adapter or LoRA: go on training this folder's adapter (same method and base; its configuration "
                  "is used) with a fresh head");
  add_common_options(*cmd, o->common);
  cmd->callback([o] { run(*o); });
}

}  // namespace taskscout::cli
