#pragma once
// Training an ESM from paired embeddings: the same N texts embedded by the base model (A)
// and by the model fine-tuned on the source (B). The paper fits a linear layer with AdamW
// on the MSE; that objective is least squares, whose optimum has a closed form, so we
// solve it exactly (ridge-regularized, in float64) instead of approximating it.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/esm/esm.hpp"
#include "taskscout/esm/train_options.hpp"

namespace taskscout {

struct EsmSplit {
  std::vector<std::int64_t> train, heldout;  // row indices, each increasing
};
// The held-out rows: round(fraction·N) of them (at least 1), chosen by a seeded shuffle.
// Throws UsageError for a fraction outside (0, 1) and InputError for N < 4.
EsmSplit esm_split(std::int64_t n, double heldout_fraction, std::uint64_t seed);

struct EsmFit : EsmFitQuality {
  Esm esm;  // fitted on all rows with the chosen λ
};

// Minimizes Σ_i ‖b_i − W a_i − c‖² + λ‖W‖² (bias not penalized) in float64: λ from
// `relative_lambdas` by held-out MSE of a fit on the other rows, then refitted on all
// rows. base, tuned: N×D (any float dtype). Throws InputError naming `what` for shapes
// that differ, non-finite values or too few rows. Cost O(N·D² + D³).
EsmFit train_esm(const at::Tensor& base, const at::Tensor& tuned, const EsmTrainOptions& options = {},
                 const std::string& what = "embeddings");

}  // namespace taskscout
