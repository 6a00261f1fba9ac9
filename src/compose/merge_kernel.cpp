// The blocked kernel behind linear, task-arithmetic, ties, dare-linear, dare-ties and breadcrumbs:
// one pass over all the sources per block of entries, instead of one pass (and temporaries
// of the tensor's size) per source.
//
// Per tensor: first each source's thresholds (trim, breadcrumbs' band), from the source and
// the base straight (merge_select.cpp). Then the tensor in chunks of kChunk entries, each
// chunk in blocks of kBlock entries spread over the threads; a block reads every source's
// entries once, sparsifies them (trim, DARE's draws, the band) and accumulates them into
// block-sized sums that stay in cache, then writes the merged entries. The per-source
// temporaries of the tensor's size (τ, draws, the four accumulators of the disjoint mean)
// are gone. Sources are fetched a chunk at a time (TensorInputs::source_range), so a
// streamed merge holds a chunk of each source, not the tensor (its pages are released when
// the next chunk is fetched).
//
// Results are bit for bit those of the per-source formulas (merge_method.hpp), entry by
// entry: the same float operations in the same order, sources summed k = 0..K−1. Where the
// formulas add through ATen with a weight (acc.add_(τ, w), base.add(δ, λ)), ATen computes a
// fused multiply-add when its kernels use FMA (AVX2 and up) and a rounded product otherwise;
// the kernel asks ATen once which, and does the same.
//
// The selects in the block loops compare floats, which may raise (never trap on) the
// invalid flag: let the compiler turn them into vector blends, as libtorch itself is built
// (-fno-trapping-math). Values are unchanged; nothing here reads the flags. (|x| is
// __builtin_fabsf below: std::fabs, compiled without the pragma, would not inline.)
#pragma GCC optimize("no-trapping-math")

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "merge_methods.hpp"

namespace taskscout::merge_detail {
namespace {

// 4 accumulators and a sparsified source of kBlock floats: 80 KiB, within a core's L2.
constexpr std::int64_t kBlock = 4096;
// Entries fetched per source at a time: 4 MiB of float32.
constexpr std::int64_t kChunk = std::int64_t{1} << 20;

// Whether ATen's a.add(b, alpha) rounds once (a fused multiply-add): 1 + 2⁻¹¹ + 2⁻²⁴, the
// exact square of 1 + 2⁻¹², survives a fused add of −(1 + 2⁻¹¹) as 2⁻²⁴ and is lost by a
// rounded product. The probe's tensor is long enough for ATen's vector loop and its tail.
bool aten_fuses() {
  static const bool fused = [] {
    const float x = 1.0f + std::ldexp(1.0f, -12), minus = -(1.0f + std::ldexp(1.0f, -11));
    const at::Tensor sum = at::full({67}, minus).add(at::full({67}, x), x);
    return sum.ne(0).all().item<bool>();
  }();
  return fused;
}

// The loops of a block, over restrict pointers, so they vectorize; built twice, for AVX2
// (8 floats a step; AVX2 without FMA, so no product is fused into a sum) and the baseline,
// the one the machine runs chosen at load time.

// acc = acc + w·v and out = base + l·d, rounded as ATen's add with alpha rounds them.
__attribute__((target("avx2,fma"))) void fused_add(float* __restrict acc, const float* __restrict v, float w,
                                                   std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) acc[i] = __builtin_fmaf(v[i], w, acc[i]);
}
__attribute__((target("avx2,fma"))) void fused_finish(float* __restrict out, const float* __restrict base,
                                                      const float* __restrict d, float l, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = __builtin_fmaf(d[i], l, base[i]);
}
// Built for the baseline ISA, which has no FMA: the product is rounded before the add.
void rounded_add(float* __restrict acc, const float* __restrict v, float w, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) acc[i] = acc[i] + w * v[i];
}
void rounded_finish(float* __restrict out, const float* __restrict base, const float* __restrict d, float l,
                    std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = base[i] + l * d[i];
}

// out = c·x, the first term of a weighted sum.
__attribute__((target_clones("avx2", "default"))) void scaled(float* __restrict out, const float* __restrict x, float c,
                                                              std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = x[i] * c;
}

// v = τ = x − base.
__attribute__((target_clones("avx2", "default"))) void difference(float* __restrict v, const float* __restrict x,
                                                                  const float* __restrict base, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) v[i] = x[i] - base[i];
}
// v = τ ⊙ breadcrumbs' mask (τ·0 where dropped, as the mask's product gives).
__attribute__((target_clones("avx2", "default"))) void band(float* __restrict v, const float* __restrict x,
                                                            const float* __restrict base, float lo, float hi,
                                                            std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float t = x[i] - base[i], a = __builtin_fabsf(t), dropped = t * 0.0f;
    v[i] = (a >= lo) & !(a >= hi) ? t : dropped;
  }
}
// v = τ / density where drawn, 0 elsewhere (the division in double, as dare_apply did).
__attribute__((target_clones("avx2", "default"))) void dare_drawn(float* __restrict v, const float* __restrict x,
                                                                  const float* __restrict base,
                                                                  const std::uint8_t* __restrict keep, double density,
                                                                  std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const auto kept = static_cast<float>((x[i] - base[i]) / density);
    v[i] = keep[i] ? kept : 0.0f;
  }
}
// v = (τ ⊙ m) / density in float, as the formula on a given mask computes it.
void dare_masked(float* __restrict v, const float* __restrict x, const float* __restrict base,
                 const bool* __restrict mask, float density, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) v[i] = (x[i] - base[i]) * static_cast<float>(mask[i]) / density;
}
// The disjoint mean's one pass: the weighted sums and weights of the positive and of the
// negative kept entries (|v| ≥ keep_from).
__attribute__((target_clones("avx2", "default"))) void disjoint_add(float* __restrict ps, float* __restrict pw,
                                                                    float* __restrict ns, float* __restrict nw,
                                                                    const float* __restrict v, float w, float keep_from,
                                                                    std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float x = __builtin_fabsf(v[i]) >= keep_from ? v[i] : 0.0f, wx = w * x;
    const bool positive = x > 0, negative = x < 0;
    ps[i] += positive ? wx : 0.0f;
    pw[i] += positive ? w : 0.0f;
    ns[i] += negative ? wx : 0.0f;
    nw[i] += negative ? w : 0.0f;
  }
}
// The elected sign (that of the total mass) and its side's mean, into ps; an elected 0 (no
// mass) takes nothing.
__attribute__((target_clones("avx2", "default"))) void disjoint_finish(float* __restrict ps, const float* __restrict pw,
                                                                       const float* __restrict ns,
                                                                       const float* __restrict nw, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float mass = ps[i] + ns[i], positive = ps[i] / pw[i], negative = ns[i] / nw[i];
    ps[i] = mass > 0 ? (pw[i] != 0 ? positive : 0.0f) : mass < 0 ? (nw[i] != 0 ? negative : 0.0f) : 0.0f;
  }
}

// One source's sparsifier.
struct SourcePlan {
  float weight = 1;
  MagnitudeBand kept;          // trim and band: the entries kept (merge_methods.hpp)
  const bool* mask = nullptr;  // DARE with given masks (MergeParameters::mask)
  at::Tensor mask_tensor;
  std::optional<DareDraws> draws;  // DARE's draws, consumed chunk after chunk
};

// Every source's entries [begin, end) as float32, into held (kept alive) and x (their data),
// fetched in parallel over the sources: a streamed source's first read of its pages (and
// its checksum, merge.cpp) happens here.
void fetch_chunk(const TensorInputs& in, std::int64_t begin, std::int64_t end, std::vector<at::Tensor>& held,
                 std::vector<const float*>& x) {
  at::parallel_for(0, static_cast<std::int64_t>(in.count), 1, [&](std::int64_t k0, std::int64_t k1) {
    for (auto k = static_cast<std::size_t>(k0); k < static_cast<std::size_t>(k1); ++k) {
      const at::Tensor t =
          in.source_range ? in.source_range(k, begin, end) : in.source(k).reshape(-1).slice(0, begin, end);
      held[k] = t.to(at::kFloat).contiguous();
      x[k] = held[k].data_ptr<float>();
    }
  });
}

}  // namespace

at::Tensor merge_blocked(const TensorInputs& in, const MergeParameters& p, Sparsify sparsify, Combine combine) {
  const at::Tensor base = in.base().to(at::kFloat).contiguous();
  const std::int64_t n = base.numel();
  const std::size_t count = in.count;
  const float* b = base.data_ptr<float>();
  const bool dare = sparsify == Sparsify::Dare && p.density < 1;
  if (sparsify == Sparsify::Dare && !dare) sparsify = Sparsify::None;  // density 1 drops nothing
  const bool draws = dare && !p.mask;

  std::vector<SourcePlan> plans(count);
  for (std::size_t k = 0; k < count; ++k) {
    SourcePlan& s = plans[k];
    s.weight = static_cast<float>(in.weights[k]);
    if (sparsify == Sparsify::Trim || sparsify == Sparsify::Band) {
      // The whole source once, for its bounds (a mapped source is read here, not copied).
      const at::Tensor x = in.source(k).to(at::kFloat).contiguous();
      s.kept = sparsify == Sparsify::Trim ? trim_band(x.data_ptr<float>(), b, n, p.density)
                                          : breadcrumbs_band(x.data_ptr<float>(), b, n, p.density, p.gamma);
    } else if (dare && p.mask) {
      s.mask_tensor = p.mask(k, in.name).to(at::kBool).contiguous().reshape(-1);
      s.mask = s.mask_tensor.data_ptr<bool>();
    } else if (draws) {
      s.draws.emplace(dare_seed(p.seed, k, in.name));
    }
  }

  const bool fused = aten_fuses();
  const auto lambda = static_cast<float>(p.lambda);
  const auto density_f = static_cast<float>(p.density);
  const double density = p.density;
  at::Tensor out = at::empty({n}, at::kFloat);
  float* o = out.data_ptr<float>();
  std::vector<const float*> x(count);
  std::vector<std::uint8_t> kept(draws ? count * static_cast<std::size_t>(kChunk) : 0);

  for (std::int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const std::int64_t c1 = std::min(n, c0 + kChunk), length = c1 - c0;
    std::vector<at::Tensor> held(count);
    fetch_chunk(in, c0, c1, held, x);
    if (draws)  // each source's generator in turn, so its draws are those of dare_mask over the tensor
      at::parallel_for(0, static_cast<std::int64_t>(count), 1, [&](std::int64_t k0, std::int64_t k1) {
        for (auto k = static_cast<std::size_t>(k0); k < static_cast<std::size_t>(k1); ++k) {
          plans[k].draws->keep(kept.data() + k * static_cast<std::size_t>(kChunk), length, density_f);
        }
      });

    at::parallel_for(c0, c1, kBlock, [&](std::int64_t begin, std::int64_t end) {
      std::vector<float> buffer(5 * kBlock);
      float* v = buffer.data();
      float* ps = v + kBlock;  // the sum (or the positive sum and weight, negative sum and weight)
      float* pw = ps + kBlock;
      float* ns = pw + kBlock;
      float* nw = ns + kBlock;
      for (std::int64_t b0 = begin; b0 < end; b0 += kBlock) {
        const std::int64_t len = std::min(end, b0 + kBlock) - b0;
        const float* bb = b + b0;
        std::fill(ps, ps + (combine == Combine::Sum ? 1 : 4) * kBlock, 0.0f);
        for (std::size_t k = 0; k < count; ++k) {
          const SourcePlan& s = plans[k];
          const float* xk = x[k] + (b0 - c0);
          // v: the sparsified task vector, as the per-source formula computes it.
          if (sparsify == Sparsify::Band)
            band(v, xk, bb, s.kept.lo, s.kept.hi, len);
          else if (sparsify == Sparsify::Dare && s.mask)
            dare_masked(v, xk, bb, s.mask + b0, density_f, len);
          else if (sparsify == Sparsify::Dare)
            dare_drawn(v, xk, bb, kept.data() + k * static_cast<std::size_t>(kChunk) + (b0 - c0), density, len);
          else  // none, or trim, which the disjoint mean applies through keep_from
            difference(v, xk, bb, len);
          if (combine == Combine::Sum)
            (fused ? fused_add : rounded_add)(ps, v, s.weight, len);
          else
            disjoint_add(ps, pw, ns, nw, v, s.weight, sparsify == Sparsify::Trim ? s.kept.lo : -1.0f, len);
        }
        if (combine == Combine::DisjointMean) disjoint_finish(ps, pw, ns, nw, len);
        (fused ? fused_finish : rounded_finish)(o + b0, bb, ps, lambda, len);
      }
    });
  }
  return out.view(base.sizes());
}

at::Tensor merge_weighted_sum(const TensorInputs& in, const std::vector<float>& c) {
  const at::Tensor base = in.base ? in.base() : at::Tensor();
  const std::vector<std::int64_t> shape = (base.defined() ? base : in.source(0)).sizes().vec();
  at::Tensor out = at::empty(shape, at::kFloat);
  const std::int64_t n = out.numel();
  float* o = out.data_ptr<float>();
  std::vector<const float*> x(in.count);
  for (std::int64_t c0 = 0; c0 < n; c0 += kChunk) {
    const std::int64_t c1 = std::min(n, c0 + kChunk);
    std::vector<at::Tensor> held(in.count);
    fetch_chunk(in, c0, c1, held, x);
    at::parallel_for(c0, c1, kBlock, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t b0 = begin; b0 < end; b0 += kBlock) {
        const std::int64_t len = std::min(end, b0 + kBlock) - b0;
        scaled(o + b0, x[0] + (b0 - c0), c[0], len);
        for (std::size_t k = 1; k < in.count; ++k) rounded_add(o + b0, x[k] + (b0 - c0), c[k], len);
      }
    });
  }
  return out;
}

}  // namespace taskscout::merge_detail
