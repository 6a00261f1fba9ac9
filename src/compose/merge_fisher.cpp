// fisher: each parameter averaged with weights w_k·F_k, its diagonal Fisher information in
// each source (Matena & Raffel 2022, "Merging Models with Fisher-Weighted Averaging").
#include <fmt/format.h>

#include "merge_methods.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout::merge_detail {
namespace {

class Fisher final : public MergeMethod {
 public:
  std::string_view name() const override { return "fisher"; }
  std::string_view formula() const override { return "θ = Σ w_k F̃_k θ_k / Σ w_k F̃_k, F̃_k = max(F_k, fisher_floor)"; }
  bool uses_base() const override { return false; }
  bool uses_fisher() const override { return true; }
  void check(const MergeParameters& p) const override {
    if (!(p.fisher_floor > 0))
      throw UsageError(opt("fisher_floor") + " must be positive (it keeps every denominator > 0)");
  }
  at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const override {
    at::Tensor sum, weight;
    for (std::size_t k = 0; k < in.count; ++k) {
      if (in.weights[k] < 0)
        throw UsageError(
            fmt::format("fisher merging needs non-negative weights; source {} has {}", k + 1, in.weights[k]));
      // The floor is Matena & Raffel's fisher_floor: parameters no example moves still average.
      const at::Tensor f = in.fisher(k).clamp_min(p.fisher_floor).mul_(in.weights[k]);
      const at::Tensor t = in.source(k).mul(f);
      if (k == 0) {
        sum = t;
        weight = f;
      } else {
        sum.add_(t);
        weight.add_(f);
      }
    }
    return sum.div_(weight);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_fisher() { return std::make_unique<Fisher>(); }

}  // namespace taskscout::merge_detail
