#pragma once
// The merge methods the registry in merge_method.cpp lists, one per file.
#include <array>
#include <cstdint>
#include <limits>
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

// Which entries of τ = x − base (τ = x when base is null) a sparsifier keeps: those with
// lo ≤ |τ| and not hi ≤ |τ| (lo = −1 keeps from the smallest, +inf or NaN keeps none;
// hi = NaN drops none from the top). Exact, from a radix select over |τ| in two parallel
// reads of the n entries (merge_select.cpp); the kernel and the whole-tensor masks both
// take their bounds from here.
struct MagnitudeBand {
  float lo = -1, hi = std::numeric_limits<float>::quiet_NaN();
};
// ties' trim: the round(density·n) largest |τ| (all entries tied at the threshold).
MagnitudeBand trim_band(const float* x, const float* base, std::int64_t n, double density);
// breadcrumbs: drops the round(gamma·n) largest |τ| and keeps the next round(density·n).
MagnitudeBand breadcrumbs_band(const float* x, const float* base, std::int64_t n, double density, double gamma);
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
// linear's Σ c_k θ_k in the same blocked pass: each product rounded, summed k = 0..K−1, as
// (θ_0·c_0) + (θ_1·c_1) + … in ATen.
at::Tensor merge_weighted_sum(const TensorInputs& in, const std::vector<float>& coefficients);

}  // namespace taskscout::merge_detail
