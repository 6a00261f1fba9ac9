#pragma once
// A fine-tuned sequence classifier or regressor, whichever way it was trained:
//   full     a complete Hugging Face model folder (config.json with id2label, model.safetensors
//            with the encoder under the task-model prefix and the head, tokenizer files);
//   lora     a PEFT folder (adapter_config.json, adapter_model.safetensors) over a base;
//   adapter  an adapters-library folder (adapter_config.json, adapter.safetensors,
//            head_config.json, model_head.safetensors) over a base.
// LoRA and adapter folders also hold taskscout.json (method, labels, problem type, base),
// since PEFT keeps no labels; every folder taskscout trains holds train_log.json.
#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "taskscout/io/dataset.hpp"
#include "taskscout/model/adapter.hpp"
#include "taskscout/model/composition_files.hpp"
#include "taskscout/model/config.hpp"
#include "taskscout/model/encoder.hpp"
#include "taskscout/model/head.hpp"
#include "taskscout/model/lora.hpp"
#include "taskscout/model/parameters.hpp"
#include "taskscout/model/sentence_embedding.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/train/fine_tune_options.hpp"

namespace taskscout {

struct TaskModel {
  FineTuneMethod method = FineTuneMethod::Full;
  EncoderConfig config;  // the encoder's, with labels and problem_type
  ParameterMap encoder;  // the encoder's parameters, LoRA or adapter tensors included
  ParameterMap head;     // the head (BERT's pooler lives in `encoder`)
  HeadStyle head_style = HeadStyle::Native;
  EncodeOptions encode;                  // LoRA scaling, the adapter, or a composition of either
  LoraConfig lora;                       // method lora
  AdapterConfig adapter;                 // method adapter; for compose, the sources' placement
  std::vector<ComposedSource> composed;  // method compose: the sources (adapters or LoRAs), in composition order
  std::filesystem::path base_folder;     // where the base encoder and the tokenizer come from
  // Encoder tensors the base does not have (LoRA or adapter tensors, a fresh pooler): what
  // a LoRA or adapter folder saves besides the head.
  std::vector<std::string> added;
  std::size_t max_length = 128;  // tokens per text the model was trained with

  bool regression() const { return config.problem_type == "regression"; }
  std::int64_t num_labels() const;
};

// Reads a folder written by save_task_model, or any full Hugging Face
// *ForSequenceClassification folder. `base` overrides the base a LoRA or adapter folder
// names. InputError naming the folder when it is none of the three kinds, the base cannot
// be found (saying to pass --base), or the parts disagree.
TaskModel load_task_model(const std::filesystem::path& folder, const std::filesystem::path& base = {});

// Writes `model` as the folder of its method (see above), atomically, with
// `extra_files` (name → contents, e.g. train_log.json) added.
void save_task_model(const std::filesystem::path& folder, const TaskModel& model,
                     const std::vector<std::pair<std::string, std::string>>& extra_files = {});

// [B, num_labels] logits for a padded batch.
at::Tensor task_logits(const TaskModel& model, const at::Tensor& input_ids, const at::Tensor& attention_mask,
                       const at::Tensor& token_type_ids);

// Texts tokenized once (truncated to max_length, which is set on the tokenizer) for
// batching; `what` names the source in messages ("train.csv row 7").
struct TokenizedTexts {
  std::vector<text::Encoding> encodings;
  std::size_t truncated = 0;
};
TokenizedTexts tokenize_texts(text::Tokenizer& tokenizer, std::span<const std::string> texts,
                              std::span<const std::string> pairs, std::size_t max_length, const std::string& what);

// The padded batch of the given rows.
struct Batch {
  at::Tensor input_ids, attention_mask, token_type_ids;
};
Batch make_batch(const TokenizedTexts& texts, std::span<const std::size_t> rows, std::int64_t pad_id);
// The labels of the given rows: class ids (int64) or, for regression, values (float).
at::Tensor batch_labels(const Dataset& data, std::span<const std::size_t> rows);

// Logits for every text, in input order, batched by length under c10::InferenceMode.
// `progress` is called with the texts done so far.
at::Tensor predict_logits(const TaskModel& model, const TokenizedTexts& texts, std::size_t batch_size,
                          const std::function<void(std::size_t)>& progress = {});

// Pooled embeddings of every text by the model's encoder (LoRA or adapter included), in
// input order, pooled as embed_texts pools a plain encoder's (sentence_embedding.hpp).
at::Tensor embed_with_task_model(const TaskModel& model, const TokenizedTexts& texts, const EmbeddingOptions& embedding,
                                 std::size_t batch_size, const std::function<void(std::size_t)>& progress = {});

// The tokenizer the model was trained with (the base folder's, or the model folder's own).
text::Tokenizer task_tokenizer(const TaskModel& model, const std::filesystem::path& folder);

}  // namespace taskscout
