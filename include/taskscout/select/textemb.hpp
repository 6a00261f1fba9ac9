#pragma once
// TextEmb (Poth et al., "What to Pre-Train on?"): a source's score is the cosine between
// the mean base-model embedding of the target's texts and that of the source's texts.
// It needs no labels and no fine-tuned model, only the two mean vectors.
#include <ATen/ATen.h>

#include <string>

#include "taskscout/core/array.hpp"

namespace taskscout {

// Column mean of the target's N×D embeddings, in float64.
at::Tensor mean_embedding(const at::Tensor& embeddings);

// cos(target_mean, source_mean). source_mean: D values (any float dtype). Throws
// InputError naming `what` for another dimension, non-finite values or a zero vector.
double textemb_score(const at::Tensor& target_mean, const Array& source_mean, const std::string& what = "source");

}  // namespace taskscout
