#include "training.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

namespace taskscout::cli {

namespace {

std::atomic<bool> sigint_seen{false};

void on_sigint(int) { sigint_seen.store(true); }

}  // namespace

void add_training_options(CLI::App& cmd, FineTuneOptions& f, const std::string& learning_rate_help,
                          const TrainingFlagNames& names) {
  cmd.add_option("--epochs", f.epochs, "Passes over the training set")->capture_default_str();
  cmd.add_option(names.batch_size, f.batch_size, "Examples per update")->capture_default_str();
  cmd.add_option("--learning-rate", f.learning_rate, learning_rate_help);
  cmd.add_option("--warmup-ratio", f.warmup_ratio, "Share of the steps spent warming up")->capture_default_str();
  cmd.add_option("--weight-decay", f.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd.add_option("--max-grad-norm", f.max_grad_norm, "Gradient clipping norm (0: off)")->capture_default_str();
  cmd.add_option("--eval-steps", f.eval_steps, "Evaluate every N steps (0: every epoch)")->capture_default_str();
  cmd.add_option("--patience", f.patience, "Stop after N evaluations without improvement (0: never)")
      ->capture_default_str();
  cmd.add_option("--max-train-examples", f.max_train_examples, "Train on a random subset of N rows (0: all)")
      ->capture_default_str();
  cmd.add_option(names.max_length, f.max_length,
                 "Tokens per training text, special tokens included (default: 128 or less)");
  cmd.add_flag("--class-weights", f.balanced_class_weights, "Weight the loss by inverse class frequency");
}

std::pair<Dataset, Dataset> load_train_dev(const std::string& train_file, const std::string& dev_file,
                                           DatasetOptions options) {
  Dataset train = load_dataset(train_file, options);
  if (options.kind == LabelKind::Classification) options.label_names = train.label_names;
  Dataset dev = load_dataset(dev_file, options);
  return {std::move(train), std::move(dev)};
}

SigintToFlag::SigintToFlag() {
  sigint_seen.store(false);
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_);
}

SigintToFlag::~SigintToFlag() { sigaction(SIGINT, &previous_, nullptr); }

const std::atomic<bool>& SigintToFlag::interrupted() { return sigint_seen; }

FineTuneProgress TrainingDisplay::progress() {
  FineTuneProgress p;
  p.step = [this](std::int64_t step, std::int64_t total, double loss) {
    if (!bar_) bar_.emplace(label_, total);
    bar_->show(fmt::format("loss {:.4f}{}", loss, last_eval_));
    bar_->advance();
  };
  p.evaluation = [this](const Evaluation& e) {
    last_eval_ = fmt::format("  dev {} {:.4f}", e.dev.main_name(), e.dev.main());
    std::cerr << fmt::format("{}step {} (epoch {:.2f}): train loss {:.4f}, dev", ::isatty(2) ? "\n" : "", e.step,
                             e.epoch, e.train_loss);
    for (const auto& [name, v] : e.dev.values) std::cerr << fmt::format(" {} {:.4f}", name, v);
    std::cerr << "\n";
  };
  p.interrupt = &SigintToFlag::interrupted();
  return p;
}

void print_training_result(const FineTuneResult& r, const nlohmann::ordered_json& identity,
                           const CommonOptions& common) {
  const Evaluation& best = r.evaluations.at(r.best);
  if (common.json) {
    nlohmann::ordered_json dev = nlohmann::ordered_json::object();
    for (const auto& [name, v] : best.dev.values) dev[name] = v;
    nlohmann::ordered_json j = identity;
    j["train_examples"] = r.train_examples;
    j["trainable_parameters"] = r.trainable_parameters;
    j["steps"] = r.steps;
    j["best_step"] = best.step;
    j["stopped_early"] = r.stopped_early;
    j["dev"] = dev;
    j["seconds"] = r.seconds;
    print_json(j);
    return;
  }
  ResultTable table;
  std::vector<std::string> row;
  for (const auto& [key, value] : identity.items()) {
    table.columns.push_back(key);
    row.push_back(value.is_string()  ? value.get<std::string>()
                  : value.is_array() ? std::to_string(value.size())
                                     : value.dump());
  }
  for (const char* column : {"examples", "trainable", "steps", "best_step"}) table.columns.push_back(column);
  for (const auto n : {r.train_examples, r.trainable_parameters, static_cast<std::size_t>(r.steps),
                       static_cast<std::size_t>(best.step)})
    row.push_back(std::to_string(n));
  for (const auto& [name, v] : best.dev.values) {
    table.columns.push_back("dev_" + name);
    row.push_back(format_number(v));
  }
  table.columns.push_back("seconds");
  row.push_back(fmt::format("{:.1f}", r.seconds));
  table.rows.push_back(row);
  print_table(table, common.csv);
}

}  // namespace taskscout::cli
