// breadcrumbs: drop each task vector's outliers (the largest gamma of its magnitudes) and
// its small perturbations (all but the next density), then add (Davari & Belilovsky 2024,
// "Model Breadcrumbs").
#include <fmt/format.h>

#include "merge_methods.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout::merge_detail {
namespace {

class Breadcrumbs final : public MergeMethod {
 public:
  std::string_view name() const override { return "breadcrumbs"; }
  std::string_view formula() const override {
    return "θ = θ₀ + λ Σ w_k b_k ⊙ (θ_k − θ₀), b_k drops the top gamma and the bottom 1 − density − gamma of |τ_k|";
  }
  bool uses_density() const override { return true; }
  void check(const MergeParameters& p) const override {
    check_density(p);
    if (!(p.gamma >= 0 && p.gamma + p.density <= 1))
      throw UsageError(fmt::format(
          "breadcrumbs keeps density {} after dropping gamma {} of the largest entries: gamma must be ≥ 0 and "
          "density + gamma ≤ 1; lower {} or {}",
          p.density, p.gamma, opt("density"), opt("gamma")));
  }
  at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const override {
    return merge_blocked(in, p, Sparsify::Band, Combine::Sum);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_breadcrumbs() { return std::make_unique<Breadcrumbs>(); }

}  // namespace taskscout::merge_detail
