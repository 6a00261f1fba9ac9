#pragma once
// Fine-tuning a base encoder on a labelled dataset: full (every weight), LoRA or a
// bottleneck adapter (the base frozen, bit for bit), with a fresh classification or
// regression head. AdamW (no decay for biases and LayerNorm weights), linear warm-up then
// linear decay, gradient clipping, optional balanced class weights, evaluation on the dev
// set every epoch (or every eval_steps) with early stopping on its main metric (accuracy;
// Pearson for regression); the best evaluation's parameters are the ones kept. No dropout.
// Deterministic for a given seed and thread count.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "taskscout/io/dataset.hpp"
#include "taskscout/model/model_folder.hpp"
#include "taskscout/train/fine_tune_options.hpp"
#include "taskscout/train/metrics.hpp"
#include "taskscout/train/task_model.hpp"

namespace taskscout {

struct FineTuneResult {
  TaskModel model;  // the best evaluation's parameters
  std::vector<Evaluation> evaluations;
  std::size_t best = 0;  // index into evaluations
  std::int64_t steps = 0;
  bool stopped_early = false;
  bool interrupted = false;
  std::size_t train_examples = 0, trainable_parameters = 0, truncated_texts = 0;
  double seconds = 0;

  // {"options": …, "evaluations": [...], "best": …}: written as train_log.json.
  std::string log_json(const FineTuneOptions& options) const;
};

// Called after every update step and every evaluation.
struct FineTuneProgress {
  std::function<void(std::int64_t step, std::int64_t total, double loss)> step;
  std::function<void(const Evaluation&)> evaluation;
  // Checked after every step: when set (by a SIGINT handler), fine_tune stops and returns
  // with interrupted = true (and nothing should be saved).
  const std::atomic<bool>* interrupt = nullptr;
};

// Trains on `train`, evaluating on `dev` (whose labels must be among train's: load dev with
// train.label_names). UsageError for bad options; InputError for datasets that do not fit
// (regression against classification, a single class, an empty set).
FineTuneResult fine_tune(const std::filesystem::path& base_folder, const Dataset& train, const Dataset& dev,
                         const FineTuneOptions& options, const FineTuneProgress& progress = {});

// The training loop itself, for models built elsewhere (compose): trains `trained` — tensors
// that `model` holds, requiring gradients — on `train` as fine_tune does, adding
// `regularizer()` (when given) to every step's loss. The model is the one returned.
FineTuneResult train_task_model(TaskModel model, const ParameterMap& trained, const Dataset& train, const Dataset& dev,
                                const FineTuneOptions& options, const FineTuneProgress& progress = {},
                                const std::function<at::Tensor()>& regularizer = {});

// Sets `model`'s base folder and config: the base's, with `train`'s labels and problem type
// (its parameters are the caller's to add).
void start_task_model(TaskModel& model, const Encoder& base, const std::filesystem::path& base_folder,
                      const Dataset& train);

// Cross-entropy class weights n / (classes · count_c), as scikit-learn's "balanced"; a class
// absent from `train` gets 0.
at::Tensor balanced_class_weights(const Dataset& train);

// Metrics of `model` on `data` (labels named as the model's: load it with them).
Metrics evaluate_task_model(const TaskModel& model, const TokenizedTexts& texts, const Dataset& data,
                            std::size_t batch_size);

}  // namespace taskscout
