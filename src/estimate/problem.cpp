#include "taskscout/estimate/problem.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "taskscout/core/error.hpp"

namespace taskscout {

Targets Targets::from_class_labels(const std::vector<std::int64_t>& labels) {
  std::vector<std::int64_t> distinct = labels;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  Targets t;
  t.kind = TaskKind::Classification;
  t.num_classes = static_cast<std::int64_t>(distinct.size());
  t.classes.reserve(labels.size());
  for (auto v : labels) t.classes.push_back(std::lower_bound(distinct.begin(), distinct.end(), v) - distinct.begin());
  return t;
}

Targets Targets::from_values(const Array& values) {
  Targets t;
  t.kind = TaskKind::Regression;
  Array v = values.to(DType::F64);
  t.values = v.ndim() == 1 ? v.reshaped({v.rows(), 1}) : v.reshaped({v.rows(), v.cols()});
  return t;
}

namespace {

template <class T>
void require_finite(std::span<const T> values, std::int64_t cols, const std::string& what) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw InputError(fmt::format("{}: value at row {}, column {} is {}; remove or impute non-finite values", what,
                                   i / cols, i % cols, static_cast<double>(values[i])));
}

}  // namespace

void validate(const EstimationInput& in, const std::string& what) {
  const Array& f = in.features;
  if (f.dtype() != DType::F32 || f.ndim() != 2)
    throw InputError(fmt::format("{}: features must be a 2-D float32 matrix (N×D), got {} {}", what,
                                 dtype_name(f.dtype()), shape_string(f.shape())));
  const std::int64_t n = f.rows();
  if (n < 2 || f.cols() < 1)
    throw InputError(fmt::format("{}: need at least 2 examples and 1 feature, got {}", what, shape_string(f.shape())));
  require_finite(f.values<float>(), f.cols(), what + " features");

  const Targets& t = in.targets;
  if (t.size() != n)
    throw InputError(
        fmt::format("{}: {} feature rows but {} labels; features and labels must describe the "
                    "same examples in the same order",
                    what, n, t.size()));
  if (t.kind == TaskKind::Classification) {
    if (t.num_classes < 2)
      throw InputError(
          fmt::format("{}: the labels hold a single class; transferability needs at least 2 "
                      "classes (or use {} regression for real-valued targets)",
                      what, opt("task")));
    for (auto c : t.classes)
      if (c < 0 || c >= t.num_classes)
        throw InputError(fmt::format("{}: class id {} outside [0, {})", what, c, t.num_classes));
  } else {
    if (t.values.dtype() != DType::F64 || t.values.ndim() != 2)
      throw InputError(fmt::format("{}: regression targets must be an N×T float64 matrix", what));
    require_finite(t.values.values<double>(), t.values.cols(), what + " targets");
  }

  if (in.source_probs) {
    const Array& p = *in.source_probs;
    if (p.dtype() != DType::F32 || p.ndim() != 2 || p.rows() != n)
      throw InputError(fmt::format("{}: source probabilities must be an N×Z float32 matrix with N = {}, got {}", what,
                                   n, shape_string(p.shape())));
    auto v = p.values<float>();
    require_finite(v, p.cols(), what + " source probabilities");
    for (std::int64_t i = 0; i < n; ++i) {
      double sum = 0;
      for (std::int64_t j = 0; j < p.cols(); ++j) {
        const float x = v[i * p.cols() + j];
        if (x < 0)
          throw InputError(
              fmt::format("{}: source probability at row {} is negative ({}); pass softmax "
                          "outputs, not logits",
                          what, i, x));
        sum += x;
      }
      if (std::abs(sum - 1.0) > 1e-3)
        throw InputError(
            fmt::format("{}: source probabilities of row {} sum to {}, not 1; pass softmax "
                        "outputs, not logits",
                        what, i, sum));
    }
  }
}

}  // namespace taskscout
