// ties: trim each task vector to its largest magnitudes, elect a sign per entry by total
// mass, and average only the entries that agree with it (Yadav et al. 2023, "TIES-Merging").
#include "merge_methods.hpp"

namespace taskscout::merge_detail {
namespace {

class Ties final : public MergeMethod {
 public:
  std::string_view name() const override { return "ties"; }
  std::string_view formula() const override {
    return "θ = θ₀ + λ · disjoint_mean_k(trim(θ_k − θ₀, density)), signs elected by Σ w_k τ̂_k";
  }
  bool uses_density() const override { return true; }
  void check(const MergeParameters& p) const override { check_density(p); }
  at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const override {
    return merge_blocked(in, p, Sparsify::Trim, Combine::DisjointMean);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_ties() { return std::make_unique<Ties>(); }

}  // namespace taskscout::merge_detail
