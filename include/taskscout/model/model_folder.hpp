#pragma once
// An encoder loaded from a Hugging Face model folder: config.json plus safetensors weights.
#include <filesystem>

#include "taskscout/model/config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

struct Encoder {
  std::filesystem::path folder;
  EncoderConfig config;
  ParameterMap parameters;

  // BERT-family checkpoints saved with their pooler (BertModel, not every task model).
  bool has_pooler() const;
};

// Throws InputError naming the folder when it holds no config.json, and the errors of
// read_encoder_config, Checkpoint::open and load_parameters.
Encoder load_encoder(const std::filesystem::path& folder);

}  // namespace taskscout
