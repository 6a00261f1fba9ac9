#pragma once
// Estimator inputs from tensors, for the estimator tests (pulls in ATen).
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "taskscout/core/tensor.hpp"
#include "taskscout/estimate/problem.hpp"

namespace taskscout {

// Features (any float dtype, stored as float32) with class labels.
inline EstimationInput make_input(const at::Tensor& features, const std::vector<std::int64_t>& labels) {
  EstimationInput in;
  in.features = to_array(features.to(at::kFloat).contiguous());
  in.targets = Targets::from_class_labels(labels);
  return in;
}

}  // namespace taskscout
