#pragma once
// Agreement used by the eval tests: relative 1e-9, or absolute 1e-12 near zero.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <optional>
#include <string>

namespace taskscout::testing {

inline ::testing::AssertionResult close(std::optional<double> got, std::optional<double> want) {
  if (!want) {
    if (!got) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "got " << *got << ", want undefined (null)";
  }
  if (!got) return ::testing::AssertionFailure() << "got undefined (null), want " << *want;
  const double tol = std::max(1e-9 * std::abs(*want), 1e-12);
  if (std::abs(*got - *want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << std::setprecision(17) << "got " << *got << ", want " << *want
                                       << " (difference " << std::abs(*got - *want) << " > " << tol << ")";
}

}  // namespace taskscout::testing
