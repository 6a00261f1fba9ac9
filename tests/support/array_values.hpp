#pragma once
// Arrays from and to plain vectors, for tests.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "taskscout/core/array.hpp"

namespace taskscout::testing {

template <class T>
Array make(std::vector<std::int64_t> shape, std::vector<T> values) {
  Array a(dtype_of<T>(), std::move(shape));
  auto v = a.mutable_values<T>();
  std::copy(values.begin(), values.end(), v.begin());
  return a;
}

template <class T>
std::vector<T> values_of(const Array& a) {
  auto v = a.values<T>();
  return {v.begin(), v.end()};
}

}  // namespace taskscout::testing
