#pragma once
// Bridges between Array (I/O) and at::Tensor (compute). Include only from libtorch-using
// sources: this header pulls in ATen.
#include <ATen/ATen.h>

#include "taskscout/core/array.hpp"

namespace taskscout {

at::ScalarType scalar_type(DType dtype);

// A tensor over the array's bytes, without copying; it keeps the array alive.
// The tensor must not be written to (views of mapped files are read-only).
at::Tensor as_tensor(const Array& array);

// A contiguous copy of the tensor as an owned Array.
Array to_array(const at::Tensor& tensor);

}  // namespace taskscout
