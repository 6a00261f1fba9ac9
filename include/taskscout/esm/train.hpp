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

namespace taskscout {

struct EsmTrainOptions {
  double heldout_fraction = 0.1;  // rows held out to choose λ and measure R²
  std::uint64_t seed = 0;         // which rows are held out
  // Candidate ridge strengths, relative to s = trace(AcᵀAc)/D (Ac: centred base rows), so
  // that they do not depend on the embeddings' scale. The one with the lowest held-out MSE
  // is used for the final fit on all rows.
  std::vector<double> relative_lambdas = {1e-10, 1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1};
  std::string base_fingerprint;  // written to the ESM's metadata
};

struct EsmSplit {
  std::vector<std::int64_t> train, heldout;  // row indices, each increasing
};
// The held-out rows: round(fraction·N) of them (at least 1), chosen by a seeded shuffle.
// Throws UsageError for a fraction outside (0, 1) and InputError for N < 4.
EsmSplit esm_split(std::int64_t n, double heldout_fraction, std::uint64_t seed);

struct EsmFit {
  Esm esm;            // fitted on all rows with the chosen λ
  double lambda = 0;  // absolute ridge strength used
  double relative_lambda = 0;
  double r2_heldout = 0;   // 1 − Σ‖B_h − ESM_train(A_h)‖² / Σ‖B_h − mean_train(B)‖²
  double mse_heldout = 0;  // mean over held-out entries of (B_h − ESM_train(A_h))²
  double r2_train = 0;     // of the final fit on all rows
  std::int64_t rows = 0, heldout_rows = 0;
};

// Minimizes Σ_i ‖b_i − W a_i − c‖² + λ‖W‖² (bias not penalized) in float64: λ from
// `relative_lambdas` by held-out MSE of a fit on the other rows, then refitted on all
// rows. base, tuned: N×D (any float dtype). Throws InputError naming `what` for shapes
// that differ, non-finite values or too few rows. Cost O(N·D² + D³).
EsmFit train_esm(const at::Tensor& base, const at::Tensor& tuned, const EsmTrainOptions& options = {},
                 const std::string& what = "embeddings");

}  // namespace taskscout
