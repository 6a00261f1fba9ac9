#pragma once
// TextEmb (Poth et al., "What to Pre-Train on?"): a source's score is the cosine between
// the mean base-model embedding of the target's texts and that of the source's texts.
// It needs no labels and no fine-tuned model, only the two mean vectors.
#include <ATen/ATen.h>

#include <filesystem>
#include <string>

#include "taskscout/core/array.hpp"
#include "taskscout/model/sentence_embedding.hpp"

namespace taskscout {

// Column mean of the target's N×D embeddings, in float64.
at::Tensor mean_embedding(const at::Tensor& embeddings);

// The source artifact "mean_embedding": safetensors with tensor "mean" ([D] F32, the column
// mean of `embeddings`) and metadata format "taskscout-mean-embedding", version 1,
// base_fingerprint, pooling, layer and texts (how many rows were averaged).
void write_mean_embedding_artifact(const std::filesystem::path& path, const at::Tensor& embeddings,
                                   const std::string& base_fingerprint, const EmbeddingOptions& embedding);

// cos(target_mean, source_mean). source_mean: D values (any float dtype). Throws
// InputError naming `what` for another dimension, non-finite values or a zero vector.
double textemb_score(const at::Tensor& target_mean, const Array& source_mean, const std::string& what = "source");

}  // namespace taskscout
