// Weighted τ: a port of scipy's _weightedrankedtau (scipy/stats/_stats.pyx) for its
// defaults (rank=None, weigher 1/(r+1), additive=True). Every pair of elements weighs
// w_i + w_j; the merge sort below accumulates the weight of discordant pairs, and the
// tie terms are summed group by group in the same order as scipy, so results agree to
// rounding.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "metric_input.hpp"
#include "taskscout/eval/ranking_metrics.hpp"

namespace taskscout {

namespace {

class RankedTau {
 public:
  RankedTau(std::span<const double> x, std::span<const double> y)
      : x_(x), y_(y), n_(x.size()), perm_(n_), temp_(n_), w_(n_) {}

  // NaN when x or y is constant.
  double compute() {
    // Sort by x, then y, ascending; stable like np.lexsort((y, x)).
    std::iota(perm_.begin(), perm_.end(), 0);
    std::stable_sort(perm_.begin(), perm_.end(),
                     [&](std::size_t a, std::size_t b) { return x_[a] < x_[b] || (x_[a] == x_[b] && y_[a] < y_[b]); });
    // The last element in that order has rank 0, the highest weight.
    for (std::size_t r = 0; r < n_; ++r) w_[perm_[n_ - 1 - r]] = 1.0 / (1.0 + static_cast<double>(r));

    bool joint_constant, x_constant, y_constant;
    const double t =
        tie_weight([&](std::size_t a, std::size_t b) { return x_[a] == x_[b] && y_[a] == y_[b]; }, joint_constant);
    const double u = tie_weight([&](std::size_t a, std::size_t b) { return x_[a] == x_[b]; }, x_constant);
    if (x_constant) return NAN;

    exchanges_ = 0;
    weigh(0, n_);  // perm_ is now sorted by y

    const double v = tie_weight([&](std::size_t a, std::size_t b) { return y_[a] == y_[b]; }, y_constant);
    if (y_constant) return NAN;

    double s = 0;
    for (std::size_t i = 0; i < n_; ++i) s += w_[perm_[i]];
    const double tot = s * static_cast<double>(n_ - 1);

    const double tau = ((tot - (v + u - t)) - 2.0 * exchanges_) / std::sqrt(tot - u) / std::sqrt(tot - v);
    return std::min(1.0, std::max(-1.0, tau));
  }

 private:
  // Σ over runs of equal elements (consecutive in perm_) of (Σ run weights)·(run size − 1):
  // the weight of the tied pairs. `constant` is set when the whole of perm_ is one run.
  template <class Same>
  double tie_weight(Same same, bool& constant) const {
    std::size_t first = 0;
    double total = 0, s = w_[perm_[0]];
    for (std::size_t i = 1; i < n_; ++i) {
      if (!same(perm_[first], perm_[i])) {
        total += s * static_cast<double>(i - first - 1);
        first = i;
        s = 0;
      }
      s += w_[perm_[i]];
    }
    total += s * static_cast<double>(n_ - first - 1);
    constant = first == 0;
    return total;
  }

  // Merge-sorts perm_[offset, offset+length) by y, adding to exchanges_ the weight of
  // every pair it swaps; returns the total weight of the section.
  double weigh(std::size_t offset, std::size_t length) {
    if (length == 1) return w_[perm_[offset]];
    const std::size_t length0 = length / 2, length1 = length - length0, middle = offset + length0;
    double residual = weigh(offset, length0);  // weight of the left run not yet merged
    const double weight = weigh(middle, length1) + residual;
    if (y_[perm_[middle - 1]] < y_[perm_[middle]]) return weight;

    std::size_t i = 0, j = 0, k = 0;
    while (j < length0 && k < length1) {
      if (y_[perm_[offset + j]] <= y_[perm_[middle + k]]) {
        temp_[i] = perm_[offset + j];
        residual -= w_[temp_[i]];
        ++j;
      } else {
        // The right element passes the length0 − j left elements still waiting.
        temp_[i] = perm_[middle + k];
        exchanges_ += w_[temp_[i]] * static_cast<double>(length0 - j) + residual;
        ++k;
      }
      ++i;
    }
    std::copy_backward(perm_.begin() + offset + j, perm_.begin() + middle, perm_.begin() + offset + i + length0 - j);
    std::copy(temp_.begin(), temp_.begin() + i, perm_.begin() + offset);
    return weight;
  }

  std::span<const double> x_, y_;
  std::size_t n_;
  std::vector<std::size_t> perm_, temp_;
  std::vector<double> w_;  // weight of each element, by its rank
  double exchanges_ = 0;
};

}  // namespace

Metric weighted_tau(std::span<const double> scores, std::span<const double> truth) {
  if (detail::has_nan(scores, truth) || scores.size() < 2) return std::nullopt;
  const double tau = (RankedTau(scores, truth).compute() + RankedTau(truth, scores).compute()) / 2;
  return detail::finite_or_null(tau);
}

}  // namespace taskscout
