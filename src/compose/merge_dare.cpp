// dare-linear and dare-ties: drop each task-vector entry with probability 1 − density and
// rescale the kept ones by 1/density, so each entry keeps its expectation (Yu et al. 2024,
// "Language Models are Super Mario"); then add (dare-linear) or TIES-combine (dare-ties).
#include "merge_methods.hpp"

namespace taskscout::merge_detail {
namespace {

// Source k's dropped-and-rescaled task vector (its mask from the seed, the source and the tensor).
at::Tensor dropped(const TensorInputs& in, const at::Tensor& base, std::size_t k, const MergeParameters& p) {
  at::Tensor tau = task_vector(in, base, k);
  if (p.density >= 1) return tau;
  if (p.mask) return tau.mul_(p.mask(k, in.name).to(at::kFloat)).div_(p.density);
  return dare_apply(tau, p.density, p.seed, k, in.name);
}

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
    const at::Tensor base = in.base();
    at::Tensor acc = at::zeros_like(base);
    for (std::size_t k = 0; k < in.count; ++k) acc.add_(dropped(in, base, k, p), in.weights[k]);
    return base.add(acc, p.lambda);
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
    const at::Tensor base = in.base();
    return base.add(disjoint_mean(in, [&](std::size_t k) { return SparseTaskVector{dropped(in, base, k, p)}; }),
                    p.lambda);
  }
};

}  // namespace

std::unique_ptr<MergeMethod> make_dare_linear() { return std::make_unique<DareLinear>(); }
std::unique_ptr<MergeMethod> make_dare_ties() { return std::make_unique<DareTies>(); }

}  // namespace taskscout::merge_detail
