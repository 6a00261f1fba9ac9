#pragma once
// ESM-LogME (Schulte et al., "Less is More"): a source's score for a target is LogME of
// the target's base embeddings X mapped by the source's ESM, LogME(X·Wᵀ + 1bᵀ, y).
// Every ESM is an affine map of the same X, so X is factored once per target and each
// source then costs O(min(N, D)·D²) work, independent of N once N > D, exactly (the
// derivation is at the top of esm_logme.cpp).
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "taskscout/core/array.hpp"
#include "taskscout/esm/esm.hpp"
#include "taskscout/estimate/problem.hpp"

namespace taskscout {

class EsmLogmeTarget {
 public:
  // Factors the target once: thin QR of [X 1] and the rotated label columns. `target`
  // holds the base embeddings (N×D) and labels; validated as every estimator input is,
  // with messages naming `what`. Cost O(N·D²); memory O(min(N, D)·D).
  explicit EsmLogmeTarget(const EstimationInput& target, const std::string& what = "target");

  std::int64_t examples() const { return n_; }
  std::int64_t dim() const { return d_; }

  // LogME of ESM(X) = X·Wᵀ + b, equal to logme() on the mapped features up to rounding.
  // Const and thread-safe; allocates O(D²). Throws InputError naming `what` when the
  // ESM's dimension is not the target's or it is invalid (see validate_esm).
  double score(const Esm& esm, const std::string& what = "ESM") const;

  // Floating-point operations of one score() call (for benchmarks).
  double flops_per_source() const;

 private:
  std::int64_t n_ = 0, d_ = 0, r_rows_ = 0;
  at::Tensor r_;                      // r×(D+1) float64, upper trapezoidal: [X 1] = Q·R, r = min(N, D+1)
  at::Tensor projected_;              // r×C float64: Qᵀ·Y
  std::vector<double> target_norm2_;  // ‖y_c‖²
};

}  // namespace taskscout
