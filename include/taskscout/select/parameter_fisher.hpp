#pragma once
// The diagonal Fisher information of a fine-tuned model's parameters, which Fisher-weighted
// merging needs (Matena & Raffel 2022; compose/merge_method.hpp's `fisher`). Not TaskEmb's
// task embedding (registry artifact `fisher`, over hidden states): this one is per
// parameter, stored as the artifact `parameter_fisher`, one tensor per encoder parameter
// under its bare name, float32.
//
// Which Fisher: the expected one, as Matena & Raffel compute it: for each example x the
// labels are the model's own, y ~ p(y|x), summed exactly over the classes rather than
// sampled:  F = mean_x Σ_y p(y|x)·(∇_θ log p(y|x))².  (The empirical Fisher, with the gold
// label only, needs the labels and is biased where the model is wrong; the expected one is
// the information the model itself holds.) For regression (one output, a unit-variance
// Gaussian likelihood) it is mean_x (∇_θ f(x))². One backward pass per class per example,
// at batch size 1, since the squares are per example.
#include <cstdint>
#include <filesystem>
#include <string>

#include "taskscout/io/dataset.hpp"
#include "taskscout/model/parameters.hpp"
#include "taskscout/text/tokenizer.hpp"
#include "taskscout/train/task_model.hpp"

namespace taskscout {

struct ParameterFisherOptions {
  std::size_t max_examples = 256;  // a seeded sample of the rows when more
  std::uint64_t seed = 0;
  std::size_t max_length = 0;  // tokens per text; 0: the model's
};

// The Fisher of every encoder parameter of a full model (UsageError for LoRA or adapter
// models, whose merging does not use it). InputError naming the data when it is not finite.
ParameterMap parameter_fisher(const TaskModel& model, text::Tokenizer& tokenizer, const Dataset& data,
                              const ParameterFisherOptions& options);

// As a safetensors file (metadata format taskscout-parameter-fisher, base_fingerprint, examples).
void write_parameter_fisher(const std::filesystem::path& path, const ParameterMap& fisher,
                            const std::string& base_fingerprint, std::size_t examples);

}  // namespace taskscout
