#pragma once
// Float64 helpers shared by the estimators in this folder (private: not installed).
// Features arrive as float32; every estimator converts them once to float64, because
// covariances, log-determinants and pseudo-inverses of 768-dimensional embeddings lose
// several digits in float32.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/problem.hpp"

namespace taskscout::detail {

inline void require_classification(const EstimationInput& in, std::string_view name) {
  if (in.targets.kind != TaskKind::Classification)
    throw UsageError(
        fmt::format("{} is defined for classification only; for regression targets use logme, "
                    "knn or linear_probe",
                    name));
}

// Examples per class.
inline std::vector<std::int64_t> class_counts(const Targets& t) {
  std::vector<std::int64_t> n(static_cast<std::size_t>(t.num_classes), 0);
  for (auto c : t.classes) ++n[static_cast<std::size_t>(c)];
  return n;
}

// The input of a classification-only estimator: UsageError for regression targets, and
// class ids renumbered over the classes that have examples. Targets::from_class_labels
// never declares an empty class, but a hand-built Targets may (a label vocabulary larger
// than the sample); such classes carry no information and would otherwise turn into 0/0
// means or an unbounded logistic intercept, so they are dropped. Cheap: the arrays are
// shared, only the class ids are copied.
inline EstimationInput classification_input(const EstimationInput& in, std::string_view name) {
  require_classification(in, name);
  const std::vector<std::int64_t> n = class_counts(in.targets);
  if (std::find(n.begin(), n.end(), 0) == n.end()) return in;
  std::vector<std::int64_t> renumber(n.size(), -1);
  std::int64_t present = 0;
  for (std::size_t c = 0; c < n.size(); ++c)
    if (n[c] > 0) renumber[c] = present++;
  if (present < 2)
    throw InputError(fmt::format("{}: only {} class has examples; transferability needs at least 2", name, present));
  EstimationInput out = in;
  for (auto& c : out.targets.classes) c = renumber[c];
  out.targets.num_classes = present;
  return out;
}

// N×D float64 copy of the features (callers may modify it in place).
inline at::Tensor features_f64(const EstimationInput& in) {
  return as_tensor(in.features).to(at::kDouble).contiguous();
}

// x − column mean, in place.
inline at::Tensor centre_(at::Tensor x) { return x.sub_(x.mean(0, /*keepdim=*/true)); }

inline at::Tensor class_tensor(const Targets& t) { return at::tensor(t.classes, at::TensorOptions().dtype(at::kLong)); }

// The features as float64 with rows regrouped so that each class is one contiguous slice:
// class c is x.narrow(0, begin[c], count[c]), rows kept in their original order. Lets
// per-class statistics be plain GEMMs over slices instead of masks or gathers per class.
// Rows are gathered in float32 and then converted: one float64 copy, not two.
struct ClassGroups {
  at::Tensor x;
  std::vector<std::int64_t> begin, count;
  at::Tensor rows(std::int64_t c) const { return x.narrow(0, begin[c], count[c]); }
  std::int64_t num_classes() const { return static_cast<std::int64_t>(count.size()); }
};

inline ClassGroups group_by_class(const EstimationInput& in) {
  const Targets& t = in.targets;
  ClassGroups g;
  g.count = class_counts(t);
  g.begin.assign(g.count.size(), 0);
  for (std::size_t c = 1; c < g.count.size(); ++c) g.begin[c] = g.begin[c - 1] + g.count[c - 1];
  std::vector<std::int64_t> order(t.classes.size()), next = g.begin;
  for (std::size_t i = 0; i < t.classes.size(); ++i) order[next[t.classes[i]]++] = static_cast<std::int64_t>(i);
  g.x = as_tensor(in.features).index_select(0, at::tensor(order, at::TensorOptions().dtype(at::kLong))).to(at::kDouble);
  return g;
}

// Eigenpairs of a symmetric positive semi-definite matrix, keeping only eigenvalues above
// max(rcond, n·eps)·λmax. rcond = 1e-15 is numpy's pinv default the reference values use;
// n·eps is the eigensolver's own noise level (numpy.linalg.matrix_rank's tolerance), so
// the null space of a rank-deficient covariance (N ≤ D, duplicated or constant columns)
// is dropped instead of inverted as 1/noise. This is the stable pseudo-inverse:
// pinv(A) = V diag(1/λ) Vᵀ over the kept pairs.
struct Eigen {
  at::Tensor values;   // k, ascending
  at::Tensor vectors;  // n×k
};

inline Eigen eigh_truncated(const at::Tensor& a, double rcond = 1e-15) {
  auto [values, vectors] = at::linalg_eigh(a);
  const double top = values.numel() ? values.max().item<double>() : 0.0;
  if (!(top > 0)) return {values.narrow(0, 0, 0), vectors.narrow(1, 0, 0)};
  const double eps = std::numeric_limits<double>::epsilon();
  const double cut = std::max(rcond, static_cast<double>(a.size(0)) * eps) * top;
  const at::Tensor keep = values.gt(cut).nonzero().squeeze(1);
  return {values.index_select(0, keep), vectors.index_select(1, keep)};
}

// Multinomial logistic regression and ridge regression, defined in linear_probe.cpp and
// declared here so the tests can compare a full-data fit with scikit-learn.
struct LinearModel {
  at::Tensor w;  // D×K
  at::Tensor b;  // K
  int iterations = 0;
};
// Minimizes C·Σ_i CE(softmax(x_i W + b), y_i) + ½‖W‖² (scikit-learn's LogisticRegression,
// multinomial, intercept not penalized). x: n×D float64, y: n int64 in [0, k).
LinearModel fit_logistic(const at::Tensor& x, const at::Tensor& y, std::int64_t k, double c);
// Minimizes ‖Y − xW − b‖² + α‖W‖² (scikit-learn's Ridge). x: n×D, y: n×T float64.
LinearModel fit_ridge(const at::Tensor& x, const at::Tensor& y, double alpha);
// scikit-learn's StandardScaler: column mean and population std; a (numerically)
// constant column gets scale 1, so it standardizes to 0.
struct Scaler {
  at::Tensor mean, scale;  // 1×D
  at::Tensor apply_(at::Tensor x) const { return x.sub_(mean).div_(scale); }
};
Scaler fit_scaler(const at::Tensor& x);

}  // namespace taskscout::detail
