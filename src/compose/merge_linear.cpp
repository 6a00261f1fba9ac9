// linear: the weighted average of the sources' parameters (model soups, Wortsman et al. 2022).
#include <fmt/format.h>

#include "merge_methods.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout::merge_detail {
namespace {

double total(const std::vector<double>& weights) {
  double sum = 0;
  for (double w : weights) sum += w;
  if (sum == 0)
    throw UsageError("linear merging divides by the sum of the weights, which is 0; change " + opt("weights"));
  return sum;
}

class Linear final : public MergeMethod {
 public:
  std::string_view name() const override { return "linear"; }
  std::string_view formula() const override { return "θ = Σ w_k θ_k / Σ w_k"; }
  // Needs no base, but for LoRA sources the base is what their ΔW is added to.
  bool uses_base() const override { return false; }
  std::vector<double> task_vector_coefficients(const std::vector<double>& weights,
                                               const MergeParameters&) const override {
    const double sum = total(weights);
    std::vector<double> c;
    for (double w : weights) c.push_back(w / sum);
    return c;
  }
  at::Tensor merge(const TensorInputs& in, const MergeParameters&) const override {
    const double sum = total(in.weights);
    std::vector<float> c;
    for (double w : in.weights) c.push_back(static_cast<float>(w / sum));
    return merge_weighted_sum(in, c);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_linear() { return std::make_unique<Linear>(); }

}  // namespace taskscout::merge_detail
