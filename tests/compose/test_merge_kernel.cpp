// linear and the methods on task vectors against their per-source formulas (merge_method.hpp) written
// out in whole-tensor ATen operations, bit for bit: odd sizes and sizes past 2²⁰ entries,
// one source and three, weights and λ ≠ 1. The blocked kernel (merge_kernel.cpp) handles
// sizes that are not a multiple of its block and tensors of several chunks, and sources
// fetched a range at a time (TensorInputs::source_range).
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>

#include "taskscout/compose/merge_method.hpp"

namespace taskscout {
namespace {

struct Case {
  std::vector<std::int64_t> shape;
  std::size_t sources;
};

MergeParameters parameters() {
  MergeParameters p;
  p.lambda = 0.7;
  p.density = 0.3;
  p.gamma = 0.05;
  p.seed = 11;
  return p;
}

// TIES' disjoint mean as the methods computed it with whole tensors: per source the kept
// entries (|x| ≥ keep_from) into positive and negative weighted sums and weights, then the
// elected side's mean.
at::Tensor disjoint_mean(const std::vector<at::Tensor>& taus, const std::vector<float>& keep_from,
                         const std::vector<double>& weights) {
  const at::Tensor zero = at::zeros_like(taus[0]);
  at::Tensor ps = zero.clone(), pw = zero.clone(), ns = zero.clone(), nw = zero.clone();
  for (std::size_t k = 0; k < taus.size(); ++k) {
    const at::Tensor x = at::where(taus[k].abs().ge(keep_from[k]), taus[k], zero);
    const at::Tensor positive = x.gt(0), negative = x.lt(0);
    const auto w = static_cast<float>(weights[k]);
    ps = ps + at::where(positive, x * w, zero);
    pw = pw + positive.to(at::kFloat) * w;
    ns = ns + at::where(negative, x * w, zero);
    nw = nw + negative.to(at::kFloat) * w;
  }
  const at::Tensor mass = ps + ns;
  return at::where(mass.gt(0), at::where(pw.ne(0), ps / pw, zero),
                   at::where(mass.lt(0), at::where(nw.ne(0), ns / nw, zero), zero));
}

// Source k's DARE task vector: kept entries divided by the density in double, as dare_mask draws them.
at::Tensor dropped(const at::Tensor& tau, const MergeParameters& p, std::size_t k, const std::string& name) {
  return at::where(dare_mask(tau.sizes(), p.density, p.seed, k, name),
                   tau.to(at::kDouble).div(p.density).to(at::kFloat), at::zeros_like(tau));
}

at::Tensor reference(const std::string& method, const std::string& name, const at::Tensor& base,
                     const std::vector<at::Tensor>& sources, const std::vector<double>& weights,
                     const MergeParameters& p) {
  if (method == "linear") {
    double sum = 0;
    for (double w : weights) sum += w;
    at::Tensor acc = sources[0].mul(weights[0] / sum);
    for (std::size_t k = 1; k < sources.size(); ++k) acc.add_(sources[k].mul(weights[k] / sum));
    return acc;
  }
  std::vector<at::Tensor> taus;
  for (const at::Tensor& s : sources) taus.push_back(s - base);
  if (method == "ties" || method == "dare-ties") {
    std::vector<float> keep_from;
    for (std::size_t k = 0; k < taus.size(); ++k) {
      if (method == "dare-ties") taus[k] = dropped(taus[k], p, k, name);
      keep_from.push_back(method == "ties" ? magnitude_threshold(taus[k], p.density).item<float>() : -1.0f);
    }
    return base.add(disjoint_mean(taus, keep_from, weights), p.lambda);
  }
  at::Tensor acc = at::zeros_like(base);
  for (std::size_t k = 0; k < taus.size(); ++k) {
    at::Tensor t = taus[k];
    if (method == "dare-linear") t = dropped(t, p, k, name);
    if (method == "breadcrumbs") t = t.mul(breadcrumbs_mask(t, p.density, p.gamma));
    acc.add_(t, weights[k]);
  }
  return base.add(acc, p.lambda);
}

const std::vector<std::string> kMethods{"linear", "task-arithmetic", "ties", "dare-linear", "dare-ties", "breadcrumbs"};

TEST(MergeKernel, EqualsThePerSourceFormulasBitForBit) {
  at::manual_seed(3);
  // 4096 is one block; 1,052,675 is a chunk (2²⁰) and a bit.
  for (const Case& c :
       {Case{{1}, 1}, Case{{3, 5}, 3}, Case{{4096}, 2}, Case{{4097}, 1}, Case{{7, 1531}, 3}, Case{{1025, 1027}, 3}}) {
    const at::Tensor base = at::randn(c.shape);
    std::vector<at::Tensor> sources;
    for (std::size_t k = 0; k < c.sources; ++k) {
      // Rounded to 1/64 so magnitudes tie; some entries equal the base (τ = 0).
      at::Tensor s = base + at::randn(c.shape).mul_(64).round_().div_(64 * 16);
      sources.push_back(s);
    }
    std::vector<double> weights;
    for (std::size_t k = 0; k < c.sources; ++k) weights.push_back(0.5 * static_cast<double>(k + 1));
    const std::string name = fmt::format("t{}", c.shape.back());
    const MergeParameters p = parameters();
    for (const std::string& method : kMethods) {
      const at::Tensor expected = reference(method, name, base, sources, weights, p);
      const at::Tensor merged = find_merge_method(method).merge(tensor_inputs(name, base, sources, weights), p);
      ASSERT_EQ(merged.sizes(), base.sizes());
      EXPECT_TRUE(at::equal(merged, expected)) << method << " " << name << " K=" << c.sources << ": "
                                               << merged.ne(expected).sum().item<std::int64_t>() << " entries differ";
    }
  }
}

TEST(MergeKernel, ChunkedSourcesGiveTheSameMerge) {
  // Sources handed over only a range at a time (as the streamed merge does) merge as whole ones.
  at::manual_seed(4);
  const std::vector<std::int64_t> shape{1100, 1000};
  const at::Tensor base = at::randn(shape);
  const std::vector<at::Tensor> sources{base + at::randn(shape) * 0.01, base + at::randn(shape) * 0.01};
  const MergeParameters p = parameters();
  for (const std::string& method : kMethods) {
    const TensorInputs whole = tensor_inputs("x", base, sources, {0.3, 1.5});
    TensorInputs ranged = whole;
    std::atomic<std::int64_t> largest = 0;  // the kernel fetches sources in parallel
    ranged.source_range = [&](std::size_t k, std::int64_t begin, std::int64_t end) {
      for (std::int64_t l = largest; l < end - begin && !largest.compare_exchange_weak(l, end - begin);) {
      }
      return sources.at(k).reshape(-1).slice(0, begin, end).clone();
    };
    const at::Tensor merged = find_merge_method(method).merge(ranged, p);
    EXPECT_TRUE(at::equal(merged, find_merge_method(method).merge(whole, p))) << method;
    EXPECT_GT(largest, 0) << method;
    EXPECT_LT(largest, base.numel()) << method << ": a source was fetched whole";
  }
}

TEST(MergeKernel, DareOnGivenMasksIsTheMaskedFormula) {
  at::manual_seed(5);
  const at::Tensor base = at::randn({333, 17});
  const std::vector<at::Tensor> sources{at::randn({333, 17}), at::randn({333, 17})};
  std::vector<at::Tensor> masks{at::rand({333, 17}).lt(0.3), at::rand({333, 17}).lt(0.3)};
  MergeParameters p = parameters();
  p.mask = [&](std::size_t k, const std::string&) { return masks.at(k); };
  at::Tensor acc = at::zeros_like(base);
  for (std::size_t k = 0; k < 2; ++k) acc.add_((sources[k] - base).mul_(masks[k].to(at::kFloat)).div_(p.density), 0.5);
  const at::Tensor merged = find_merge_method("dare-linear").merge(tensor_inputs("m", base, sources, {0.5, 0.5}), p);
  EXPECT_TRUE(at::equal(merged, base.add(acc, p.lambda)));
}

}  // namespace
}  // namespace taskscout
