#pragma once
// Weight-merging methods, one per file behind a registry (as mergekit lays them out):
// each turns one tensor of K sources (and the base θ₀) into the merged tensor. Sources are
// read through TensorInputs on demand: fisher accumulates over them one at a time, the
// others read every source a chunk at a time in one blocked pass (merge_kernel.cpp), so
// memory per tensor stays a few copies of that tensor whatever K is.
//
// With task vectors τ_k = θ_k − θ₀ and weights w_k (default 1):
//   linear            θ = Σ w_k θ_k / Σ w_k
//   task-arithmetic   θ = θ₀ + λ Σ w_k τ_k
//   ties              θ = θ₀ + λ · disjoint_mean(trim(τ_k, density))
//   dare-linear       θ = θ₀ + λ Σ w_k m_k ⊙ τ_k / density,   m_k ~ Bernoulli(density), seeded
//   dare-ties         θ = θ₀ + λ · disjoint_mean(m_k ⊙ τ_k / density)
//   breadcrumbs       θ = θ₀ + λ Σ w_k b_k ⊙ τ_k,   b_k drops the largest gamma and the smallest
//                     1 − density − gamma of |τ_k|
//   fisher            θ = Σ w_k F̃_k θ_k / Σ w_k F̃_k,   F̃_k = max(F_k, fisher_floor)
// trim keeps the round(density·n) largest |τ| of each tensor (ties in magnitude at the
// threshold are all kept). disjoint_mean elects each entry's sign as the sign of
// Σ w_k τ̂_k (the total mass) and averages, weighted by w_k, the τ̂_k of that sign only
// (0 where none agrees), as TIES (Yadav et al. 2023) and mergekit do.
#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace taskscout {

struct MergeParameters {
  double lambda = 1.0;         // scales the merged task vector
  double density = 1.0;        // ties, dare-*, breadcrumbs: the share of each task vector kept
  double gamma = 0.01;         // breadcrumbs: the share of largest magnitudes dropped
  double fisher_floor = 1e-6;  // fisher: Matena & Raffel's floor, so no entry divides by zero
  std::uint64_t seed = 0;      // dare: the masks
  // dare: source k's keep mask (bool, the tensor's shape) for a tensor; empty: dare_mask.
  // Tests pass an oracle's saved masks here.
  std::function<at::Tensor(std::size_t source, const std::string& tensor)> mask;
};

// One tensor of every source, read lazily (float32, the tensor's shape).
struct TensorInputs {
  std::string name;
  std::size_t count = 0;                          // K
  std::vector<double> weights;                    // K
  std::function<at::Tensor()> base;               // θ₀
  std::function<at::Tensor(std::size_t)> source;  // θ_k
  // θ_k's entries [begin, end) in row-major order (float32, 1-D); empty: sliced from source.
  // The blocked kernel fetches every source a chunk at a time through it, so a streamed
  // merge holds a chunk of each source instead of a whole tensor of each. The kernel calls
  // it (or, without it, source) for several sources at once, one thread per source, and
  // for a source's chunks in order.
  std::function<at::Tensor(std::size_t, std::int64_t, std::int64_t)> source_range;
  std::function<at::Tensor(std::size_t)> fisher;  // F_k (fisher only)
};

// In-memory inputs, for tests and small merges.
TensorInputs tensor_inputs(std::string name, at::Tensor base, std::vector<at::Tensor> sources,
                           std::vector<double> weights = {}, std::vector<at::Tensor> fishers = {});

class MergeMethod {
 public:
  virtual ~MergeMethod() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view formula() const = 0;  // one line, for --help and merge.json
  virtual bool uses_base() const { return true; }
  virtual bool uses_fisher() const { return false; }
  virtual bool uses_density() const { return false; }
  virtual bool uses_seed() const { return false; }
  // Methods whose result is θ₀ + Σ c_k τ_k return c_k (else empty): LoRA sources then merge
  // exactly into one LoRA of rank Σ r_k (the blocks B_k·c_k and A_k stacked).
  virtual std::vector<double> task_vector_coefficients(const std::vector<double>& weights,
                                                       const MergeParameters& p) const {
    (void)weights, (void)p;
    return {};
  }
  // The merged tensor. Throws UsageError for parameters the method cannot use.
  virtual at::Tensor merge(const TensorInputs& in, const MergeParameters& p) const = 0;
  // UsageError for parameters out of range (checked once, before any tensor is read).
  virtual void check(const MergeParameters& p) const { (void)p; }
};

// By name; UsageError listing the methods for an unknown one.
const MergeMethod& find_merge_method(std::string_view name);
std::vector<const MergeMethod*> merge_methods();

// The methods' selections as whole-tensor functions, for tests (the blocked kernel makes
// the same ones on the fly, entry by entry).
// Keeps the round(density·n) entries of largest |tau| (all entries tied at the threshold):
// |tau| ≥ magnitude_threshold (a 0-d tensor; −1 keeps all, +inf none).
at::Tensor magnitude_threshold(const at::Tensor& tau, double density);
at::Tensor magnitude_trim_mask(const at::Tensor& tau, double density);
// Drops the round(gamma·n) largest |tau| and keeps the next round(density·n) (at most n − those).
at::Tensor breadcrumbs_mask(const at::Tensor& tau, double density, double gamma);
// Bernoulli(density) keep mask, from a generator seeded by (seed, source, tensor name), so a
// tensor's mask does not depend on the order tensors are read in or on the thread count.
at::Tensor dare_mask(at::IntArrayRef shape, double density, std::uint64_t seed, std::size_t source,
                     const std::string& tensor);

}  // namespace taskscout
