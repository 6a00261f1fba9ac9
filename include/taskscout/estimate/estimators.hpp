#pragma once
// Transferability estimators: each a pure function (input, options) → score, where a
// higher score predicts better transfer. Each definition, formula and reference is in
// the comment of its function below; names are the CLI's --method names.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "taskscout/estimate/problem.hpp"

namespace taskscout {

struct EstimatorOptions {
  int knn_k = 1;           // neighbours for knn
  int probe_folds = 5;     // cross-validation folds for linear_probe
  std::uint64_t seed = 0;  // fold assignment for linear_probe
  double transrate_epsilon = 1e-4;
  double gbc_variance_floor = 1e-4;
};

// LogME (You et al., ICML 2021): the log marginal likelihood per example of a Bayesian
// linear model t = F w + noise, w ~ N(0, I/α), noise ~ N(0, I/β), maximized over α, β,
// averaged over the one-vs-rest class indicators (regression: over target columns).
// Exact for every N and D (see logme.cpp for the derivation and the stopping rule).
double logme(const EstimationInput& in, const EstimatorOptions& opt = {});

// LEEP (Nguyen et al., 2020): mean_i log Σ_z P̂(y_i|z) θ(x_i)_z with the empirical
// conditional P̂(y|z) = P̂(y,z)/P̂(z) from the soft joint of source predictions θ.
double leep(const EstimationInput& in, const EstimatorOptions& opt = {});

// NCE (Tran et al., 2019): −H(Y|Z), Z = argmax of the source probabilities.
double nce(const EstimationInput& in, const EstimatorOptions& opt = {});

// H-score (Bao et al., 2019): tr(pinv(cov f) · cov(E[f|y])).
double h_score(const EstimationInput& in, const EstimatorOptions& opt = {});

// Regularized H-score (Ibrahim et al., 2022): H-score with the Ledoit–Wolf shrunk
// covariance Σ_α and the between-class covariance scaled by (1−α).
double regularized_h_score(const EstimationInput& in, const EstimatorOptions& opt = {});

// TransRate (Huang et al., 2022): R(f) − mean_c R(f_c), R(Z) = ½ logdet(I + ZᵀZ/(nε)).
double transrate(const EstimationInput& in, const EstimatorOptions& opt = {});

// GBC (Pándy et al., 2022): −Σ_{i≠j} exp(−D_B(i, j)), Bhattacharyya distance between
// per-class diagonal Gaussians.
double gbc(const EstimationInput& in, const EstimatorOptions& opt = {});

// Leave-one-out k-nearest-neighbour accuracy (Euclidean; classification) or −MSE of the
// neighbour mean (regression).
double knn(const EstimationInput& in, const EstimatorOptions& opt = {});

// Cross-validated multinomial logistic regression accuracy (classification) or ridge
// regression R² (regression): the expensive baseline the estimators approximate.
double linear_probe(const EstimationInput& in, const EstimatorOptions& opt = {});

struct EstimatorInfo {
  std::string name;
  std::string summary;
  bool needs_source_probs = false;
  bool supports_regression = false;
  std::function<double(const EstimationInput&, const EstimatorOptions&)> fn;
};

// All estimators, in the order `--method all` runs them.
const std::vector<EstimatorInfo>& estimators();
// Throws UsageError listing the known names when `name` is unknown.
const EstimatorInfo& find_estimator(std::string_view name);

}  // namespace taskscout
