#pragma once
// The merge methods the registry in merge_method.cpp lists, one per file.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "taskscout/compose/merge_method.hpp"

namespace taskscout::merge_detail {

std::unique_ptr<MergeMethod> make_linear();
std::unique_ptr<MergeMethod> make_task_arithmetic();
std::unique_ptr<MergeMethod> make_ties();
std::unique_ptr<MergeMethod> make_dare_linear();
std::unique_ptr<MergeMethod> make_dare_ties();
std::unique_ptr<MergeMethod> make_breadcrumbs();
std::unique_ptr<MergeMethod> make_fisher();

// UsageError unless 0 < density ≤ 1.
void check_density(const MergeParameters& p);

// The number of entries a share of n keeps: floor(fraction·n + 0.5), as the oracle rounds.
std::int64_t share(double fraction, std::int64_t n);
// The exact m-th largest |x − base| (|x| when base is null) of n entries, for each rank m
// in ms (1 ≤ m ≤ n), in two parallel reads (merge_select.cpp).
std::vector<float> largest_magnitudes(const float* x, const float* base, std::int64_t n,
                                      const std::vector<std::int64_t>& ms);
// The seed of the generator behind source k's DARE draws for a tensor.
std::uint64_t dare_seed(std::uint64_t seed, std::size_t source, const std::string& tensor);
// The draws of dare_mask for one generator seed, consumed in order (merge_dare_draws.cpp).
class DareDraws {
 public:
  explicit DareDraws(std::uint64_t seed);
  // The next n draws as keep flags: out[i] = draw < density.
  void keep(std::uint8_t* out, std::int64_t n, float density);

 private:
  static constexpr int kState = 624;  // MT19937's state words
  void refill();
  std::array<std::uint32_t, kState> state_;
  std::array<float, kState> uniform_;
  int next_ = kState;
};

// How the blocked kernel (merge_kernel.cpp) sparsifies each task vector τ_k = θ_k − θ₀ ...
enum class Sparsify {
  None,  // τ_k
  Trim,  // ties: the round(density·n) largest |τ_k|
  Band,  // breadcrumbs: drop the largest gamma, keep the next density
  Dare,  // Bernoulli(density) draws (or MergeParameters::mask), kept entries / density
};
// ... and combines them: θ₀ + λ Σ w_k τ̂_k, or θ₀ + λ · disjoint_mean(τ̂_k).
enum class Combine { Sum, DisjointMean };
at::Tensor merge_blocked(const TensorInputs& in, const MergeParameters& p, Sparsify sparsify, Combine combine);

}  // namespace taskscout::merge_detail
