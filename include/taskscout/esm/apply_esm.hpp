#pragma once
// Applying an Embedding Space Map (esm/esm.hpp) to embeddings.
#include <ATen/ATen.h>

#include "taskscout/esm/esm.hpp"

namespace taskscout {

// ESM(X) = X·Wᵀ + b for X N×D (any float dtype), in float64 when X is float64 and in
// float32 otherwise. Throws InputError when the dimensions differ.
at::Tensor apply_esm(const Esm& esm, const at::Tensor& x);

}  // namespace taskscout
