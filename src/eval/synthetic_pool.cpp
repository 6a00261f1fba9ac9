#include "taskscout/eval/synthetic_pool.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "taskscout/core/error.hpp"

namespace taskscout {
namespace {

using Rng = std::mt19937_64;

std::vector<double> normals(Rng& rng, std::size_t count) {
  std::normal_distribution<double> normal;
  std::vector<double> v(count);
  for (auto& x : v) x = normal(rng);
  return v;
}

std::vector<int> pick_factors(Rng& rng, int factors, int count) {
  std::vector<int> all(static_cast<std::size_t>(factors));
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<std::size_t>(count));
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

SyntheticPool make_synthetic_pool(const SyntheticPoolSpec& s) {
  if (s.targets < 1 || s.sources < 1 || s.examples < 2 || s.dim < 1 || s.classes < 2 || s.factors < 1 ||
      s.target_factors < 1 || s.target_factors > s.factors || s.source_classes < 2)
    throw UsageError(
        "synthetic pool: need targets, sources ≥ 1, examples ≥ 2, classes ≥ 2, "
        "1 ≤ target factors ≤ factors");
  Rng rng(s.seed);
  const auto n = static_cast<std::size_t>(s.examples), d = static_cast<std::size_t>(s.dim),
             f = static_cast<std::size_t>(s.factors);
  const std::vector<double> z = normals(rng, n * f);  // n×f
  SyntheticPool pool;

  for (int t = 0; t < s.targets; ++t) {
    SyntheticTarget target{fmt::format("t{}", t + 1), pick_factors(rng, s.factors, s.target_factors), {}};
    const auto c = static_cast<std::size_t>(s.classes);
    std::vector<double> w = normals(rng, f * c);  // f×c, zero outside the target's factors
    for (std::size_t k = 0; k < f; ++k)
      if (!std::binary_search(target.factors.begin(), target.factors.end(), static_cast<int>(k)))
        std::fill_n(w.begin() + static_cast<std::ptrdiff_t>(k * c), c, 0.0);
    const std::vector<double> noise = normals(rng, n * c);
    target.labels = Array(DType::I64, {s.examples});
    auto labels = target.labels.mutable_values<std::int64_t>();
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> logit(c);
      for (std::size_t j = 0; j < c; ++j) {
        logit[j] = 0.3 * noise[i * c + j];
        for (std::size_t k = 0; k < f; ++k) logit[j] += z[i * f + k] * w[k * c + j];
      }
      labels[i] = std::max_element(logit.begin(), logit.end()) - logit.begin();
    }
    pool.targets.push_back(std::move(target));
  }

  std::uniform_int_distribution<int> captured_count(1, s.factors);
  std::uniform_real_distribution<double> noise_level(0.3, 1.5);
  for (int si = 0; si < s.sources; ++si) {
    SyntheticSource source{
        fmt::format("s{:02}", si + 1), pick_factors(rng, s.factors, captured_count(rng)), noise_level(rng), {}, {}};
    std::vector<double> a = normals(rng, d * f);  // d×f, zero outside the captured factors
    for (std::size_t r = 0; r < d; ++r)
      for (std::size_t k = 0; k < f; ++k)
        if (!std::binary_search(source.factors.begin(), source.factors.end(), static_cast<int>(k))) a[r * f + k] = 0;
    const std::vector<double> eps = normals(rng, n * d);
    source.features = Array(DType::F32, {s.examples, s.dim});
    auto x = source.features.mutable_values<float>();
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t r = 0; r < d; ++r) {
        double v = source.noise * eps[i * d + r];
        for (std::size_t k = 0; k < f; ++k) v += a[r * f + k] * z[i * f + k];
        x[i * d + r] = static_cast<float>(v);
      }
    const auto zc = static_cast<std::size_t>(s.source_classes);
    std::vector<double> b = normals(rng, d * zc);
    source.probs = Array(DType::F32, {s.examples, s.source_classes});
    auto p = source.probs.mutable_values<float>();
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<double> logit(zc, 0.0);
      for (std::size_t j = 0; j < zc; ++j)
        for (std::size_t r = 0; r < d; ++r) logit[j] += 2.0 * x[i * d + r] * b[r * zc + j] / std::sqrt(double(d));
      const double top = *std::max_element(logit.begin(), logit.end());
      double sum = 0;
      for (auto& l : logit) sum += (l = std::exp(l - top));
      for (std::size_t j = 0; j < zc; ++j) p[i * zc + j] = static_cast<float>(logit[j] / sum);
    }
    pool.sources.push_back(std::move(source));
  }
  return pool;
}

int shared_factors(const SyntheticSource& source, const SyntheticTarget& target) {
  int shared = 0;
  for (int k : target.factors) shared += std::binary_search(source.factors.begin(), source.factors.end(), k);
  return shared;
}

}  // namespace taskscout
