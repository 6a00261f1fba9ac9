#pragma once
// Sequence-classification heads as functions of parameter maps, with Hugging Face's tensor
// names and arithmetic, so a fine-tuned folder loads in transformers as the matching
// *ForSequenceClassification model:
//   BERT        logits = classifier(tanh(pooler.dense(h[:, 0])))       (the pooler is the encoder's)
//   RoBERTa/XLM-R  logits = classifier.out_proj(tanh(classifier.dense(h[:, 0])))
//   DistilBERT  logits = classifier(relu(pre_classifier(h[:, 0])))
// and, for adapters (HeadStyle::Flex), the adapters library's "classification" flex head,
// which is RoBERTa's arithmetic on any encoder (kept in memory under RoBERTa's names).
// Dropout is not applied (taskscout trains without it). num_labels = 1 is regression.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/model/config.hpp"
#include "taskscout/model/parameter_names.hpp"
#include "taskscout/model/parameters.hpp"

namespace taskscout {

enum class HeadStyle { Native, Flex };

// "BertForSequenceClassification", "RobertaForSequenceClassification",
// "XLMRobertaForSequenceClassification" or "DistilBertForSequenceClassification".
std::string sequence_classification_class(Architecture architecture);

// The head's tensors (full Hugging Face names, e.g. "classifier.weight") and shapes for
// num_labels outputs. BERT's pooler is not among them: it is an encoder parameter.
std::vector<ParameterSpec> head_specs(const EncoderConfig& config, std::int64_t num_labels,
                                      HeadStyle style = HeadStyle::Native);

// A fresh head as transformers initializes one: weights ~ N(0, 0.02²), biases zero,
// drawn from `seed`. For BERT also "pooler.dense.*" when `encoder` lacks the pooler
// (a checkpoint saved without it); the caller adds those to the encoder's map.
ParameterMap init_head(const EncoderConfig& config, std::int64_t num_labels, std::uint64_t seed,
                       const ParameterMap& encoder, HeadStyle style = HeadStyle::Native);

// The number of outputs of `head` (from its last layer), or an InputError naming
// `source` when a tensor is missing or has the wrong shape.
std::int64_t check_head(const EncoderConfig& config, const ParameterMap& head, const std::string& source,
                        HeadStyle style = HeadStyle::Native);

// [B, num_labels] logits from the encoder's last hidden state [B, L, D]. BERT reads
// "pooler.dense" from `encoder`; every head tensor comes from `head`.
at::Tensor classification_logits(const EncoderConfig& config, const ParameterMap& encoder, const ParameterMap& head,
                                 const at::Tensor& last_hidden_state, HeadStyle style = HeadStyle::Native);

// The loss transformers computes: cross-entropy over the classes (mean over the batch,
// weighted as torch's CrossEntropyLoss(weight=class_weights) when class_weights is
// defined), or for one output MSE between logits[:, 0] and float labels.
at::Tensor classification_loss(const at::Tensor& logits, const at::Tensor& labels,
                               const at::Tensor& class_weights = {});

}  // namespace taskscout
