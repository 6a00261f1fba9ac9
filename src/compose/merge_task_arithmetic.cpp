// task-arithmetic: the base plus the scaled sum of task vectors (Ilharco et al. 2023).
#include "merge_methods.hpp"

namespace taskscout::merge_detail {
namespace {

class TaskArithmetic final : public MergeMethod {
 public:
  std::string_view name() const override { return "task-arithmetic"; }
  std::string_view formula() const override { return "θ = θ₀ + λ Σ w_k (θ_k − θ₀)"; }
  std::vector<double> task_vector_coefficients(const std::vector<double>& weights,
                                               const MergeParameters& p) const override {
    std::vector<double> c;
    for (double w : weights) c.push_back(p.lambda * w);
    return c;
  }
  at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const override {
    return merge_blocked(in, p, Sparsify::None, Combine::Sum);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_task_arithmetic() { return std::make_unique<TaskArithmetic>(); }

}  // namespace taskscout::merge_detail
