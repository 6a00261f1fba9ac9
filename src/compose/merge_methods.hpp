#pragma once
// The merge methods the registry in merge_method.cpp lists, one per file.
#include <memory>

#include "taskscout/compose/merge_method.hpp"

namespace taskscout::merge_detail {

std::unique_ptr<MergeMethod> make_linear();
std::unique_ptr<MergeMethod> make_task_arithmetic();
std::unique_ptr<MergeMethod> make_ties();
std::unique_ptr<MergeMethod> make_dare_linear();
std::unique_ptr<MergeMethod> make_dare_ties();
std::unique_ptr<MergeMethod> make_breadcrumbs();
std::unique_ptr<MergeMethod> make_fisher();

// τ_k = θ_k − θ₀ in float32.
at::Tensor task_vector(const TensorInputs& in, const at::Tensor& base, std::size_t k);
// UsageError unless 0 < density ≤ 1.
void check_density(const MergeParameters& p);

}  // namespace taskscout::merge_detail
