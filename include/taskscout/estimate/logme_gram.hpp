#pragma once
// LogME's evidence maximization on precomputed second-order statistics, for callers that
// have the Gram matrix of some features without the features themselves (ESM-LogME forms
// it from shared target statistics and each source's map, see select/esm_logme.hpp).
// logme() in estimators.hpp is logme_from_gram(logme_gram(features, targets)).
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "taskscout/estimate/problem.hpp"

namespace taskscout {

// Everything LogME reads about features F (N×D) and target columns Y (N×C):
//   primal (N > D):  gram = FᵀF (D×D), projections = (FᵀY)ᵀ (C×D)
//   dual   (N ≤ D):  gram = FFᵀ (N×N), projections = Yᵀ (C×N)
// Any orthogonal change of basis of the N-dimensional example space may be applied
// first: in the dual form gram = (QᵀF)(QᵀF)ᵀ with projections (QᵀY)ᵀ for a square
// orthogonal Q gives the same evidence.
struct LogmeGram {
  bool dual = false;
  std::int64_t n = 0, d = 0;
  // m×m float64 contiguous, m = dual ? n : d. Only the lower triangle of the column-major
  // matrix is read (the upper triangle of the row-major tensor); it is overwritten.
  at::Tensor gram;
  at::Tensor projections;            // C×m float64 contiguous; overwritten
  std::vector<double> target_norm2;  // ‖y_c‖² per column, of the original targets
};

// Gram matrix and projections of features (N×D, any float dtype) and targets (N×C, float64),
// in whichever form is smaller. Memory O(min(N, D)² + a 32 MiB block).
LogmeGram logme_gram(const at::Tensor& features, const at::Tensor& targets);

// The N×C float64 target columns LogME averages over: one-vs-rest indicators of the
// classes, or the regression columns.
at::Tensor logme_target_matrix(const Targets& targets);

// LogME (mean over the C columns of the maximum log evidence per example) from the
// statistics; consumes `g`. Throws InputError for an all-zero target column.
double logme_from_gram(LogmeGram&& g);

// Floating-point operations of logme_from_gram for an m×m Gram matrix and C columns
// (the tridiagonalization and the rotation of the projections), for benchmarks.
double logme_from_gram_flops(std::int64_t m, std::int64_t c);

}  // namespace taskscout
