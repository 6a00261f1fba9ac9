#pragma once
// numpy arrays in, taskscout Arrays and Targets out: the checks and conversions the Python
// module applies to what it is given, with the CLI's messages.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "taskscout/core/array.hpp"
#include "taskscout/estimate/problem.hpp"

namespace taskscout::python {

namespace py = pybind11;

// An N×D float32 view of `features` without a copy when it is float32 and C-contiguous;
// float64 is converted to float32 (what the CLI does with a float64 .npy). Other dtypes,
// other ranks and non-contiguous arrays are refused with TypeError/ValueError saying what to
// pass. The view borrows the numpy buffer: the caller keeps `features` alive meanwhile.
Array features_array(const py::array& features, const std::string& what);

// Source probabilities (N×Z) as float32, under the same rules as features.
Array probabilities_array(const py::array& probs, const std::string& what);

// Labels as `taskscout score --labels y.npy --task T` reads them (select/targets.hpp's
// targets_from_array, given the array in its own dtype: int32/int64/float32/float64 as they
// are, other integer and float dtypes widened to int64/float64).
Targets targets_from_labels(const py::array& labels, const std::string& task, const std::string& what);

}  // namespace taskscout::python
