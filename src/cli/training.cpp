#include "training.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

namespace taskscout::cli {

namespace {

std::atomic<bool> sigint_seen{false};

void on_sigint(int) { sigint_seen.store(true); }

}  // namespace

void add_training_options(CLI::App& cmd, FineTuneOptions& f, const std::string& learning_rate_help) {
  cmd.add_option("--epochs", f.epochs, "Passes over the training set")->capture_default_str();
  cmd.add_option("--batch-size", f.batch_size, "Examples per update")->capture_default_str();
  cmd.add_option("--learning-rate", f.learning_rate, learning_rate_help);
  cmd.add_option("--warmup-ratio", f.warmup_ratio, "Share of the steps spent warming up")->capture_default_str();
  cmd.add_option("--weight-decay", f.weight_decay, "AdamW weight decay")->capture_default_str();
  cmd.add_option("--max-grad-norm", f.max_grad_norm, "Gradient clipping norm (0: off)")->capture_default_str();
  cmd.add_option("--eval-steps", f.eval_steps, "Evaluate every N steps (0: every epoch)")->capture_default_str();
  cmd.add_option("--patience", f.patience, "Stop after N evaluations without improvement (0: never)")
      ->capture_default_str();
  cmd.add_option("--max-train-examples", f.max_train_examples, "Train on a random subset of N rows (0: all)")
      ->capture_default_str();
  cmd.add_option("--max-length", f.max_length, "Tokens per text, special tokens included (default: 128 or less)");
  cmd.add_flag("--class-weights", f.balanced_class_weights, "Weight the loss by inverse class frequency");
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

}  // namespace taskscout::cli
