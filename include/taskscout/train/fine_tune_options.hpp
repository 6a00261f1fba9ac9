#pragma once
// What a fine-tune is asked to do (method, schedule, limits, seed) and what each dev
// evaluation reports: plain types, without libtorch, so that the public API can carry them.
// The fine-tuning itself: fine_tune.hpp.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "taskscout/model/adapter_config.hpp"
#include "taskscout/model/lora_config.hpp"
#include "taskscout/train/metrics.hpp"

namespace taskscout {

// Compose: K frozen source adapters combined by a learned composition (a folder of
// model/composition_files.hpp), made by taskscout compose, never by fine_tune.
enum class FineTuneMethod { Full, Adapter, Lora, Compose };

// "full" | "adapter" | "lora"; UsageError otherwise (compose is not a fine-tuning method).
FineTuneMethod parse_fine_tune_method(const std::string& text);
std::string method_name(FineTuneMethod method);

struct FineTuneOptions {
  FineTuneMethod method = FineTuneMethod::Full;
  std::int64_t epochs = 3;
  std::size_t batch_size = 16;
  double learning_rate = 0;   // 0: by method — full 5e-5, adapter 1e-3, lora 5e-4
  double warmup_ratio = 0.1;  // of all update steps
  double weight_decay = 0.01;
  double max_grad_norm = 1.0;          // 0: no clipping
  std::int64_t eval_steps = 0;         // 0: evaluate after every epoch
  std::int64_t patience = 0;           // stop after this many evaluations without improvement; 0: never
  std::size_t max_train_examples = 0;  // 0: all; else a seeded random subset
  std::size_t max_length = 0;          // tokens per text, special tokens included; 0: 128 or the model's limit if lower
  bool balanced_class_weights = false;  // cross-entropy weights n / (classes · count)
  std::uint64_t seed = 0;
  LoraConfig lora;
  AdapterConfig adapter;
  // Adapter or LoRA only: start the method's tensors from this folder of the same method
  // (e.g. a source task's adapter, for sequential intermediate-task transfer as Poth et al.
  // 2021 train it) instead of a fresh draw; its configuration replaces `adapter` / `lora`.
  // The head is fresh either way.
  std::filesystem::path init_from;

  double effective_learning_rate() const;
};

struct Evaluation {
  std::int64_t step = 0;
  double epoch = 0;
  double train_loss = 0;  // mean over the steps since the last evaluation
  double learning_rate = 0;
  Metrics dev;
};

}  // namespace taskscout
