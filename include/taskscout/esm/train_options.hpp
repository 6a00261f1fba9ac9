#pragma once
// How an ESM is fitted and how well it fits: plain types, without libtorch, so that the
// public API (registration) can carry them. The fitting itself: train.hpp.
#include <cstdint>
#include <string>
#include <vector>

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

struct EsmFitQuality {
  double lambda = 0;  // absolute ridge strength used
  double relative_lambda = 0;
  double r2_heldout = 0;   // 1 − Σ‖B_h − ESM_train(A_h)‖² / Σ‖B_h − mean_train(B)‖²
  double mse_heldout = 0;  // mean over held-out entries of (B_h − ESM_train(A_h))²
  double r2_train = 0;     // of the final fit on all rows
  std::int64_t rows = 0, heldout_rows = 0;
};

}  // namespace taskscout
