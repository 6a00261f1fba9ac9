// dare-linear and dare-ties: drop each task-vector entry with probability 1 − density and
// rescale the kept ones by 1/density, so each entry keeps its expectation (Yu et al. 2024,
// "Language Models are Super Mario"); then add (dare-linear) or TIES-combine (dare-ties).
#include "merge_methods.hpp"

namespace taskscout::merge_detail {
namespace {

class DareLinear final : public MergeMethod {
 public:
  std::string_view name() const override { return "dare-linear"; }
  std::string_view formula() const override {
    return "θ = θ₀ + λ Σ w_k m_k ⊙ (θ_k − θ₀) / density, m_k ~ Bernoulli(density)";
  }
  bool uses_density() const override { return true; }
  bool uses_seed() const override { return true; }
  void check(const MergeParameters& p) const override { check_density(p); }
  at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const override {
    return merge_blocked(in, p, Sparsify::Dare, Combine::Sum);
  }
};

class DareTies final : public MergeMethod {
 public:
  std::string_view name() const override { return "dare-ties"; }
  std::string_view formula() const override {
    return "θ = θ₀ + λ · disjoint_mean_k(m_k ⊙ (θ_k − θ₀) / density), m_k ~ Bernoulli(density)";
  }
  bool uses_density() const override { return true; }
  bool uses_seed() const override { return true; }
  void check(const MergeParameters& p) const override { check_density(p); }
  at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const override {
    return merge_blocked(in, p, Sparsify::Dare, Combine::DisjointMean);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_dare_linear() { return std::make_unique<DareLinear>(); }
std::unique_ptr<MergeMethod> make_dare_ties() { return std::make_unique<DareTies>(); }

}  // namespace taskscout::merge_detail
