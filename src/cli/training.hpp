#pragma once
// What the commands that train (train, compose, transfer) share: the training flags, the
// progress display, and Ctrl-C as a flag the training loop checks.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "command.hpp"
#include "taskscout/core/progress.hpp"
#include "taskscout/io/dataset.hpp"
#include "taskscout/train/fine_tune.hpp"

namespace taskscout::cli {

// The names of the two training flags a command may already use for something else
// (register embeds texts with its own --batch-size and --max-length).
struct TrainingFlagNames {
  std::string batch_size = "--batch-size", max_length = "--max-length";
};

// --epochs, --batch-size, --learning-rate (described by `learning_rate_help`),
// --warmup-ratio, --weight-decay, --max-grad-norm, --eval-steps, --patience,
// --max-train-examples, --max-length and --class-weights into `options`.
void add_training_options(CLI::App& cmd, FineTuneOptions& options, const std::string& learning_rate_help,
                          const TrainingFlagNames& names = {});

// The train and dev sets of a training command: `options` as the command's column flags and
// task set them; the dev set is loaded with train's label names (a dev label train lacks is
// an error).
std::pair<Dataset, Dataset> load_train_dev(const std::string& train, const std::string& dev, DatasetOptions options);

// While alive, Ctrl-C sets interrupted() instead of ending the process; the previous
// handler comes back afterwards.
class SigintToFlag {
 public:
  SigintToFlag();
  ~SigintToFlag();
  SigintToFlag(const SigintToFlag&) = delete;
  SigintToFlag& operator=(const SigintToFlag&) = delete;
  static const std::atomic<bool>& interrupted();

 private:
  struct sigaction previous_ {};
};

// A progress bar over the update steps, showing the loss and the last dev evaluation
// (each also printed on its own line to stderr), and the interrupt flag.
class TrainingDisplay {
 public:
  explicit TrainingDisplay(std::string label = "training") : label_(std::move(label)) {}
  FineTuneProgress progress();
  void close() { bar_.reset(); }

 private:
  std::string label_, last_eval_;
  std::optional<ProgressBar> bar_;
};

// Prints a training run's result: `identity` (e.g. out, method) and then the examples,
// trainable parameters, steps, best step, the best evaluation's dev metrics and seconds —
// as a table row (an array shows as its length), or as JSON with --json.
void print_training_result(const FineTuneResult& result, const nlohmann::ordered_json& identity,
                           const CommonOptions& common);

}  // namespace taskscout::cli
