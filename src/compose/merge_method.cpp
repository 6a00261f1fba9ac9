// The merge-method registry and the pieces several methods share (see merge_method.hpp).
#include "taskscout/compose/merge_method.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>

#include "merge_methods.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout {

namespace merge_detail {

at::Tensor task_vector(const TensorInputs& in, const at::Tensor& base, std::size_t k) { return in.source(k).sub(base); }

void check_density(const MergeParameters& p) {
  if (!(p.density > 0 && p.density <= 1))
    throw UsageError(fmt::format("{} must be in (0, 1], got {}", opt("density"), p.density));
}

}  // namespace merge_detail

namespace {

// The number of entries a share of n keeps: floor(fraction·n + 0.5), as the oracle rounds.
std::int64_t share(double fraction, std::int64_t n) {
  return std::min<std::int64_t>(n, static_cast<std::int64_t>(std::floor(fraction * static_cast<double>(n) + 0.5)));
}

// Counts, over the entries of `bits` that `select` accepts, each value of `key` (16 bits),
// in parallel: one histogram per chunk, summed.
template <class Select, class Key>
std::vector<std::int64_t> histogram16(const std::uint32_t* bits, std::int64_t n, Select select, Key key) {
  std::vector<std::int64_t> total(1 << 16, 0);
  std::mutex lock;
  at::parallel_for(0, n, std::max<std::int64_t>(1 << 20, n / at::get_num_threads() + 1),
                   [&](std::int64_t begin, std::int64_t end) {
                     std::vector<std::int64_t> local(1 << 16, 0);
                     for (std::int64_t i = begin; i < end; ++i)
                       if (select(bits[i])) ++local[key(bits[i])];
                     const std::lock_guard<std::mutex> guard(lock);
                     for (std::size_t b = 0; b < local.size(); ++b) total[b] += local[b];
                   });
  return total;
}

// The bin, from the top, holding the m-th largest (1-based) of the counted entries, and m
// within that bin.
std::pair<std::uint32_t, std::int64_t> descend(const std::vector<std::int64_t>& counts, std::int64_t m) {
  for (std::int64_t b = static_cast<std::int64_t>(counts.size()) - 1; b >= 0; --b) {
    if (m <= counts[static_cast<std::size_t>(b)]) return {static_cast<std::uint32_t>(b), m};
    m -= counts[static_cast<std::size_t>(b)];
  }
  throw Error("internal: radix select ran past the smallest entry");
}

// The m-th largest |tau| (1 ≤ m ≤ n) by a two-pass radix select: non-negative floats order
// as their bit patterns do as integers, so a histogram of the high 16 bits of |x| finds the
// bin, and one of the low 16 bits within it the exact value. Exact like a sort, but two
// parallel reads of the tensor without a copy (kthvalue copied and ran on one thread: most
// of TIES's time on BERT-base).
at::Tensor mth_largest(const at::Tensor& tau, std::int64_t m) {
  const at::Tensor t = tau.to(at::kFloat).contiguous();
  const auto* bits = reinterpret_cast<const std::uint32_t*>(t.data_ptr<float>());
  constexpr std::uint32_t kAbs = 0x7fffffffu;
  const auto [high, m_high] = descend(
      histogram16(
          bits, t.numel(), [](std::uint32_t) { return true; }, [](std::uint32_t b) { return (b & kAbs) >> 16; }),
      m);
  const std::uint32_t h = high;
  const auto [low, unused] = descend(histogram16(
                                         bits, t.numel(), [h](std::uint32_t b) { return ((b & kAbs) >> 16) == h; },
                                         [](std::uint32_t b) { return b & 0xffffu; }),
                                     m_high);
  (void)unused;
  const std::uint32_t pattern = (h << 16) | low;
  float value;
  std::memcpy(&value, &pattern, sizeof value);
  return at::full({}, value);
}

// 64-bit FNV-1a: a hash of tensor names that, unlike std::hash, is the same everywhere.
std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// splitmix64's finalizer: mixes the seed, the source and the name into one generator seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

TensorInputs tensor_inputs(std::string name, at::Tensor base, std::vector<at::Tensor> sources,
                           std::vector<double> weights, std::vector<at::Tensor> fishers) {
  TensorInputs in;
  in.name = std::move(name);
  in.count = sources.size();
  in.weights = weights.empty() ? std::vector<double>(sources.size(), 1.0) : std::move(weights);
  in.base = [base] { return base.to(at::kFloat); };
  in.source = [sources](std::size_t k) { return sources.at(k).to(at::kFloat); };
  in.fisher = [fishers](std::size_t k) { return fishers.at(k).to(at::kFloat); };
  return in;
}

at::Tensor magnitude_threshold(const at::Tensor& tau, double density) {
  const std::int64_t n = tau.numel(), m = share(density, n);
  if (m >= n) return at::full({}, -1.0f);
  if (m == 0) return at::full({}, std::numeric_limits<float>::infinity());
  return mth_largest(tau, m);
}

at::Tensor magnitude_trim_mask(const at::Tensor& tau, double density) {
  return tau.abs().ge(magnitude_threshold(tau, density));
}

at::Tensor breadcrumbs_mask(const at::Tensor& tau, double density, double gamma) {
  const std::int64_t n = tau.numel(), top = share(gamma, n), m = std::min(share(density, n), n - top);
  if (m == 0) return at::zeros_like(tau, at::kBool);
  const at::Tensor magnitude = tau.abs();
  at::Tensor keep = top + m >= n ? at::ones_like(tau, at::kBool) : magnitude.ge(mth_largest(tau, top + m));
  if (top > 0) keep.logical_and_(magnitude.lt(mth_largest(tau, top)));
  return keep;
}

// The uniform draws behind a DARE mask: one generator per (seed, source, tensor).
at::Tensor dare_draws(at::IntArrayRef shape, std::uint64_t seed, std::size_t source, const std::string& tensor) {
  const std::uint64_t s = mix(mix(mix(seed) ^ static_cast<std::uint64_t>(source)) ^ fnv1a(tensor));
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(s);
  return at::rand(shape, generator, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor dare_mask(at::IntArrayRef shape, double density, std::uint64_t seed, std::size_t source,
                     const std::string& tensor) {
  return dare_draws(shape, seed, source, tensor).lt(density);
}

at::Tensor dare_apply(at::Tensor tau, double density, std::uint64_t seed, std::size_t source,
                      const std::string& tensor) {
  const at::Tensor draws = dare_draws(tau.sizes(), seed, source, tensor);
  const float* u = draws.data_ptr<float>();
  float* x = tau.data_ptr<float>();
  const auto d = static_cast<float>(density);
  // The same comparison as dare_mask (float draw < density as float), then x/density.
  at::parallel_for(0, tau.numel(), 1 << 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) x[i] = u[i] < d ? static_cast<float>(x[i] / density) : 0.0f;
  });
  return tau;
}

at::Tensor disjoint_mean(const TensorInputs& in, const std::function<SparseTaskVector(std::size_t)>& tau_hat) {
  // One pass over the sources: the weighted sums and weights of the positive and of the
  // negative kept entries. The elected sign is that of their total (the mass), and the mean
  // is then the elected side's sum over its weight; no source is read twice, and nothing
  // per source is kept.
  at::Tensor pos_sum, pos_weight, neg_sum, neg_weight;
  for (std::size_t k = 0; k < in.count; ++k) {
    const SparseTaskVector v = tau_hat(k);
    const at::Tensor t = v.tau.to(at::kFloat).contiguous();
    if (k == 0)
      for (at::Tensor* a : {&pos_sum, &pos_weight, &neg_sum, &neg_weight}) *a = at::zeros_like(t);
    const float* __restrict x = t.data_ptr<float>();
    float* __restrict ps = pos_sum.data_ptr<float>();
    float* __restrict pw = pos_weight.data_ptr<float>();
    float* __restrict ns = neg_sum.data_ptr<float>();
    float* __restrict nw = neg_weight.data_ptr<float>();
    const auto wk = static_cast<float>(in.weights[k]);
    const float keep_from = v.keep_from;
    // Branch-free, so the compiler vectorizes it.
    at::parallel_for(0, t.numel(), 1 << 16, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const float xi = std::fabs(x[i]) >= keep_from ? x[i] : 0.0f;
        const bool positive = xi > 0, negative = xi < 0;
        ps[i] += positive ? wk * xi : 0.0f;
        pw[i] += positive ? wk : 0.0f;
        ns[i] += negative ? wk * xi : 0.0f;
        nw[i] += negative ? wk : 0.0f;
      }
    });
  }
  float* __restrict ps = pos_sum.data_ptr<float>();
  const float* __restrict pw = pos_weight.data_ptr<float>();
  const float* __restrict ns = neg_sum.data_ptr<float>();
  const float* __restrict nw = neg_weight.data_ptr<float>();
  at::parallel_for(0, pos_sum.numel(), 1 << 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const float mass = ps[i] + ns[i];
      // An elected 0 (no mass) takes nothing.
      ps[i] = mass > 0 ? (pw[i] != 0 ? ps[i] / pw[i] : 0.0f) : mass < 0 ? (nw[i] != 0 ? ns[i] / nw[i] : 0.0f) : 0.0f;
    }
  });
  return pos_sum;
}

std::vector<const MergeMethod*> merge_methods() {
  static const std::vector<std::unique_ptr<MergeMethod>> all = [] {
    std::vector<std::unique_ptr<MergeMethod>> v;
    v.push_back(merge_detail::make_linear());
    v.push_back(merge_detail::make_task_arithmetic());
    v.push_back(merge_detail::make_ties());
    v.push_back(merge_detail::make_dare_linear());
    v.push_back(merge_detail::make_dare_ties());
    v.push_back(merge_detail::make_breadcrumbs());
    v.push_back(merge_detail::make_fisher());
    return v;
  }();
  std::vector<const MergeMethod*> out;
  for (const auto& m : all) out.push_back(m.get());
  return out;
}

const MergeMethod& find_merge_method(std::string_view name) {
  std::vector<std::string> names;
  for (const MergeMethod* m : merge_methods()) {
    if (m->name() == name) return *m;
    names.emplace_back(m->name());
  }
  throw UsageError(fmt::format("unknown merge method \"{}\"; use one of {}", name, fmt::join(names, ", ")));
}

}  // namespace taskscout
