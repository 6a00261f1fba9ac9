// The merge-method registry and the pieces several methods share (see merge_method.hpp).
#include "taskscout/compose/merge_method.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>

#include "merge_methods.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout {

namespace {

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

namespace merge_detail {

void check_density(const MergeParameters& p) {
  if (!(p.density > 0 && p.density <= 1))
    throw UsageError(fmt::format("{} must be in (0, 1], got {}", opt("density"), p.density));
}

std::uint64_t dare_seed(std::uint64_t seed, std::size_t source, const std::string& tensor) {
  return mix(mix(mix(seed) ^ static_cast<std::uint64_t>(source)) ^ fnv1a(tensor));
}

}  // namespace merge_detail

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
  const at::Tensor t = tau.to(at::kFloat).contiguous();
  return at::full({}, merge_detail::trim_band(t.data_ptr<float>(), nullptr, t.numel(), density).lo);
}

at::Tensor magnitude_trim_mask(const at::Tensor& tau, double density) {
  return tau.abs().ge(magnitude_threshold(tau, density));
}

at::Tensor breadcrumbs_mask(const at::Tensor& tau, double density, double gamma) {
  const at::Tensor t = tau.to(at::kFloat).contiguous();
  const merge_detail::MagnitudeBand kept =
      merge_detail::breadcrumbs_band(t.data_ptr<float>(), nullptr, t.numel(), density, gamma);
  const at::Tensor magnitude = t.abs();
  return magnitude.ge(kept.lo).logical_and_(magnitude.ge(kept.hi).logical_not_());
}

// The uniform draws behind a DARE mask: one generator per (seed, source, tensor).
at::Tensor dare_draws(at::IntArrayRef shape, std::uint64_t seed, std::size_t source, const std::string& tensor) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(merge_detail::dare_seed(seed, source, tensor));
  return at::rand(shape, generator, at::TensorOptions().dtype(at::kFloat));
}

at::Tensor dare_mask(at::IntArrayRef shape, double density, std::uint64_t seed, std::size_t source,
                     const std::string& tensor) {
  return dare_draws(shape, seed, source, tensor).lt(density);
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
