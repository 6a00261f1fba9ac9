#pragma once
// Masked-language-model pretraining of a BERT from scratch, vocabulary included.
//
// The run, all of it determined by the config, the corpus and the thread count:
//   1. a seeded shuffle holds out eval_fraction of the texts for evaluation;
//   2. a WordPiece vocabulary is trained on the other texts (text/wordpiece_trainer.hpp);
//   3. every text is tokenized as [CLS] … [SEP]; the token streams are concatenated and
//      cut into blocks of sequence_length (transformers' run_mlm "group_texts"; the tail
//      shorter than a block is dropped), so no block holds padding;
//   4. weights are initialized as BertForMaskedLM does (normal(0, 0.02) for weights and
//      embeddings, the padding row 0, LayerNorm 1 and 0, biases 0), from the seed;
//   5. step s trains on batch_size blocks of a seeded per-epoch shuffle, masked with a
//      seed derived from (seed, s) (train/masking.hpp), with AdamW, linear warm-up and
//      decay and gradient clipping (train/optimizer.hpp). Dropout is not used.
// Because the batch and the masking of a step depend only on the step, a resumed run
// continues bit for bit as the uninterrupted run would (same thread count).
//
// The output folder is a checkpoint and a Hugging Face BertForMaskedLM folder at once:
//   config.json, model.safetensors ("bert.…" encoder and "cls.predictions.…" head),
//   tokenizer.json, vocab.txt, tokenizer_config.json, special_tokens_map.json,
//   optimizer.safetensors (AdamW state), trainer_state.json (step, config, corpus
//   fingerprint, log), log.jsonl (one JSON object per train log and evaluation).
// It is written whole every checkpoint_every steps, at the end and on interruption, in a
// staging folder renamed into place (model/model_writer.hpp), so it is never half-written.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/core/progress.hpp"
#include "taskscout/train/corpus.hpp"
#include "taskscout/train/pretrain_config.hpp"

namespace taskscout {

struct PretrainLogEntry {
  std::int64_t step = 0;          // updates done
  std::string split;              // "train" (mean over the steps since the last entry) or "eval"
  double loss = 0, accuracy = 0;  // MLM loss and accuracy on the masked tokens
  std::int64_t masked_tokens = 0;
  double learning_rate = 0;      // train: the rate of the last update
  double tokens_per_second = 0;  // train only
};

struct PretrainOptions {
  std::filesystem::path out;
  bool resume = false;  // continue from the checkpoint in `out`
  // Checked after every step: when set (by a SIGINT handler), the run writes its
  // checkpoint and returns with interrupted = true.
  const std::atomic<bool>* interrupt = nullptr;
  // Stop after this many steps of this call (0: run to config.steps); for tests.
  std::int64_t stop_after = 0;
  std::function<void(const std::string&)> note;  // progress notes (e.g. to stderr)
  // One phase, "pretraining": units are steps (a resumed run starts at its step), the
  // detail the last logged loss, accuracy and learning rate.
  Progress progress;
};

struct PretrainResult {
  std::int64_t step = 0;        // updates done in all
  std::int64_t start_step = 0;  // where this call began (0, or the resumed checkpoint's)
  bool interrupted = false;
  bool complete = false;  // step == config.steps
  std::size_t vocab_size = 0;
  std::size_t train_texts = 0, eval_texts = 0;
  std::int64_t train_blocks = 0, eval_blocks = 0;
  double seconds = 0;  // training steps only
  double tokens_per_second = 0;
  std::vector<PretrainLogEntry> log;  // of the whole run, resumed parts included
};

// Runs (or resumes) pretraining into options.out. UsageError when `out` holds a
// checkpoint and resume is false, or none and resume is true; InputError when a resumed
// checkpoint's config or corpus differ from these, or the corpus is too small for one
// block of training and one of evaluation; IoError when writing fails.
PretrainResult pretrain(const PretrainConfig& config, const Corpus& corpus, const PretrainOptions& options);

}  // namespace taskscout
