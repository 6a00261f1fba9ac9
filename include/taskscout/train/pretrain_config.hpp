#pragma once
// The pretraining config (train/pretrain.hpp): model size, vocabulary, training schedule.
// Parsed without libtorch, so the fuzz build can test its parser alone.
#include <cstdint>
#include <string>
#include <string_view>

namespace taskscout {

struct PretrainConfig {
  // The model (Hugging Face config.json names).
  std::int64_t num_hidden_layers = 4;
  std::int64_t hidden_size = 256;
  std::int64_t num_attention_heads = 4;
  std::int64_t intermediate_size = 1024;
  std::int64_t max_position_embeddings = 512;
  // The vocabulary.
  std::int64_t vocab_size = 8000;  // an upper bound: a small corpus may give fewer tokens
  std::int64_t min_frequency = 2;
  std::int64_t limit_alphabet = 1000;
  bool lowercase = true;
  // Training.
  std::int64_t sequence_length = 128;
  std::int64_t batch_size = 32;
  std::int64_t steps = 10000;
  double learning_rate = 5e-4;
  std::int64_t warmup_steps = 500;
  double weight_decay = 0.01;
  double max_grad_norm = 1.0;
  double mask_probability = 0.15;
  std::uint64_t seed = 0;
  // Evaluation, logging and checkpoints.
  double eval_fraction = 0.01;     // of the texts, held out (at least one text when > 0)
  std::int64_t eval_batches = 20;  // at most this many batches of held-out blocks
  std::int64_t eval_every = 500;
  std::int64_t log_every = 50;
  std::int64_t checkpoint_every = 500;
};

// Parses the config JSON (every key optional; defaults above). `source` names the file
// in errors: InputError for malformed JSON, an unknown key (listing the known ones), a
// wrong type or a value out of range (hidden size not divisible by the heads, a sequence
// longer than the position embeddings, …).
PretrainConfig parse_pretrain_config(std::string_view json, const std::string& source);
std::string pretrain_config_json(const PretrainConfig& config);

}  // namespace taskscout
