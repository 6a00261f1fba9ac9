#pragma once
// Input checks shared by the ranking metrics (private to src/eval).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>

#include "taskscout/core/error.hpp"

namespace taskscout::detail {

// Throws on mismatched lengths (a caller bug); true when any value is NaN, which makes
// every metric undefined, as scipy's nan_policy='propagate'.
inline bool has_nan(std::span<const double> scores, std::span<const double> truth) {
  if (scores.size() != truth.size())
    throw InputError(fmt::format("ranking metric: {} scores but {} truth values; give one of each per source",
                                 scores.size(), truth.size()));
  auto nan = [](double v) { return std::isnan(v); };
  return std::any_of(scores.begin(), scores.end(), nan) || std::any_of(truth.begin(), truth.end(), nan);
}

inline std::optional<double> finite_or_null(double v) {
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

}  // namespace taskscout::detail
