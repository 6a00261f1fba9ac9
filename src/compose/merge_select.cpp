// The magnitude bounds of ties' trim and breadcrumbs' band (merge_methods.hpp), for the
// blocked kernel and the whole-tensor masks alike. Each is an exact m-th largest magnitude
// of a task vector, found without the task vector: a two-pass
// radix select over the bits of |x − base|, each difference computed on the fly from the
// source and the base (a τ tensor per source cost an allocation and its page faults, and
// a pass to write it, for values read twice and thrown away).
//
// Non-negative floats order as their bit patterns do as integers, so a histogram of the
// high 16 bits of |x| finds the bin holding the m-th largest, and one of the low 16 bits
// within that bin the exact value. Exact like a sort, in two parallel reads of the inputs
// (kthvalue copied and ran on one thread: most of TIES's time on BERT-base).
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include "merge_methods.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout::merge_detail {
namespace {

constexpr std::uint32_t kAbs = 0x7fffffffu;

// The bits of |x[i] − base[i]| (of |x[i]| without a base), as the float the subtraction gives.
template <bool kDifference>
std::uint32_t magnitude_bits(const float* x, const float* base, std::int64_t i) {
  const float t = kDifference ? x[i] - base[i] : x[i];
  std::uint32_t bits;
  std::memcpy(&bits, &t, sizeof bits);
  return bits & kAbs;
}

// Counts, per wanted high half `highs[j]` (at most two: ties wants one bin, breadcrumbs
// two), each value of the low half-word; or, when `highs` is empty, each value of the high
// half over all entries. One histogram per chunk and per wanted bin, summed.
template <bool kDifference>
std::vector<std::vector<std::int64_t>> histograms(const float* x, const float* base, std::int64_t n,
                                                  const std::vector<std::uint32_t>& highs) {
  const std::size_t count = std::max<std::size_t>(1, highs.size());
  std::vector<std::vector<std::int64_t>> total(count, std::vector<std::int64_t>(1 << 16, 0));
  std::mutex lock;
  at::parallel_for(0, n, std::max<std::int64_t>(1 << 20, n / at::get_num_threads() + 1),
                   [&](std::int64_t begin, std::int64_t end) {
                     std::vector<std::vector<std::int64_t>> local(count, std::vector<std::int64_t>(1 << 16, 0));
                     if (highs.empty()) {
                       // Two copies, even and odd entries: neighbours in one bin (the common
                       // case) do not wait on each other's increment.
                       std::int64_t* h = local[0].data();
                       std::vector<std::int64_t> odd(1 << 16, 0);
                       std::int64_t* g = odd.data();
                       std::int64_t i = begin;
                       for (; i + 1 < end; i += 2) {
                         ++h[magnitude_bits<kDifference>(x, base, i) >> 16];
                         ++g[magnitude_bits<kDifference>(x, base, i + 1) >> 16];
                       }
                       if (i < end) ++h[magnitude_bits<kDifference>(x, base, i) >> 16];
                       for (std::size_t b = 0; b < odd.size(); ++b) h[b] += g[b];
                     } else {
                       const std::uint32_t first = highs[0], second = highs.back();
                       std::int64_t *h = local[0].data(), *g = local.back().data();
                       for (std::int64_t i = begin; i < end; ++i) {
                         const std::uint32_t bits = magnitude_bits<kDifference>(x, base, i), high = bits >> 16;
                         if (high == first)
                           ++h[bits & 0xffffu];
                         else if (high == second)
                           ++g[bits & 0xffffu];
                       }
                     }
                     const std::lock_guard<std::mutex> guard(lock);
                     for (std::size_t j = 0; j < count; ++j)
                       for (std::size_t b = 0; b < total[j].size(); ++b) total[j][b] += local[j][b];
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

template <bool kDifference>
std::vector<float> select(const float* x, const float* base, std::int64_t n, const std::vector<std::int64_t>& ms) {
  const std::vector<std::int64_t> high_counts = histograms<kDifference>(x, base, n, {})[0];
  // One second pass serves every wanted rank (breadcrumbs wants two).
  std::vector<std::uint32_t> highs;
  std::vector<std::pair<std::size_t, std::int64_t>> where;  // per rank: its bin's index in highs, m within
  for (const std::int64_t m : ms) {
    const auto [high, m_high] = descend(high_counts, m);
    const auto at = std::find(highs.begin(), highs.end(), high);
    where.emplace_back(static_cast<std::size_t>(at - highs.begin()), m_high);
    if (at == highs.end()) highs.push_back(high);
  }
  const auto low_counts = histograms<kDifference>(x, base, n, highs);
  std::vector<float> out;
  for (const auto& [j, m_high] : where) {
    const std::uint32_t pattern = (highs[j] << 16) | descend(low_counts[j], m_high).first;
    float value;
    std::memcpy(&value, &pattern, sizeof value);
    out.push_back(value);
  }
  return out;
}

// The exact m-th largest |τ| for each rank m in ms (1 ≤ m ≤ n; at most two ranks).
std::vector<float> largest_magnitudes(const float* x, const float* base, std::int64_t n,
                                      const std::vector<std::int64_t>& ms) {
  if (ms.empty()) return {};
  if (ms.size() > 2) throw Error("internal: the radix select serves at most two ranks at once");
  return base ? select<true>(x, base, n, ms) : select<false>(x, nullptr, n, ms);
}

// The number of entries a share of n keeps: floor(fraction·n + 0.5), as the oracle rounds.
std::int64_t share(double fraction, std::int64_t n) {
  return std::min<std::int64_t>(n, static_cast<std::int64_t>(std::floor(fraction * static_cast<double>(n) + 0.5)));
}

}  // namespace

MagnitudeBand trim_band(const float* x, const float* base, std::int64_t n, double density) {
  const std::int64_t m = share(density, n);
  MagnitudeBand band;
  if (m == 0)
    band.lo = std::numeric_limits<float>::infinity();
  else if (m < n)
    band.lo = largest_magnitudes(x, base, n, {m})[0];
  return band;
}

MagnitudeBand breadcrumbs_band(const float* x, const float* base, std::int64_t n, double density, double gamma) {
  const std::int64_t top = share(gamma, n), m = std::min(share(density, n), n - top);
  MagnitudeBand band;
  if (m == 0) {
    band.lo = std::numeric_limits<float>::quiet_NaN();
    return band;
  }
  std::vector<std::int64_t> ranks;
  if (top + m < n) ranks.push_back(top + m);
  if (top > 0) ranks.push_back(top);
  const std::vector<float> v = largest_magnitudes(x, base, n, ranks);
  if (top + m < n) band.lo = v.front();
  if (top > 0) band.hi = v.back();
  return band;
}

}  // namespace taskscout::merge_detail
