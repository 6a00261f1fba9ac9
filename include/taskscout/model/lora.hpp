#pragma once
// LoRA (Hu et al. 2021) as PEFT lays it out. A target linear module W (frozen) gains
// A [r, in] and B [out, r], and computes W·x + b + (alpha / r)·B·(A·x); the encoder finds
// them in its parameter map as "<module>.lora_A.weight" and "<module>.lora_B.weight" (see
// EncodeOptions::lora_scaling). Saved as PEFT's save_pretrained does for a SEQ_CLS model:
// adapter_config.json and adapter_model.safetensors, whose names are
// "base_model.model.<task-model name>" with the adapter name removed
// ("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"), the head
// (PEFT's modules_to_save) included, the frozen base not.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "taskscout/model/config.hpp"
#include "taskscout/model/lora_config.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

// Every linear module of the encoder's layers (never the pooler), in forward order, with its
// [out, in] shape: what a LoRA target can name.
std::vector<std::pair<std::string, std::vector<std::int64_t>>> linear_modules(const EncoderConfig& encoder);

// PEFT's defaults: query, value (BERT, RoBERTa, XLM-R); q_lin, v_lin (DistilBERT).
std::vector<std::string> default_lora_targets(Architecture architecture);

// The linear modules of the encoder's layers (e.g. "encoder.layer.0.attention.self.query";
// never the pooler) the config targets, in forward order. UsageError naming the target and listing the candidates when
// a target matches no module, and for rank < 1 or alpha ≤ 0.
std::vector<std::string> lora_modules(const EncoderConfig& encoder, const LoraConfig& lora);

// Fresh LoRA tensors as PEFT initializes them: A ~ kaiming_uniform(a = √5), i.e.
// U(−1/√in, 1/√in); B = 0 (so the adapted model starts equal to the base), from `seed`.
ParameterMap init_lora(const EncoderConfig& encoder, const LoraConfig& lora, std::uint64_t seed);

// What a LoRA folder holds besides the base it names.
struct LoraFiles {
  LoraConfig config;
  std::string base_model;  // base_model_name_or_path
  ParameterMap encoder;    // LoRA tensors (and a trained pooler) under the encoder's bare names
  ParameterMap head;       // head tensors under their Hugging Face names ("classifier.weight")
};

// Writes adapter_config.json and adapter_model.safetensors into `folder` (an existing
// folder, normally a StagedFolder's). `encoder_config` is the base's.
void write_lora_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config, const LoraFiles& files);

// True when `folder` holds a PEFT LoRA adapter_config.json.
bool is_lora_folder(const std::filesystem::path& folder);

// Reads them back. InputError naming the file for a peft_type other than LORA, settings
// taskscout does not compute (bias other than "none", fan_in_fan_out, use_rslora, use_dora,
// rank or alpha patterns, layers_to_transform), a tensor outside the base's modules, a
// LoRA pair with a missing half, or shapes that disagree with the rank and the base.
LoraFiles read_lora_files(const std::filesystem::path& folder, const EncoderConfig& encoder_config);

}  // namespace taskscout
