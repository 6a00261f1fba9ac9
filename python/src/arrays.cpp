#include "arrays.hpp"

#include <fmt/format.h>

#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/select/targets.hpp"

namespace taskscout::python {
namespace {

std::vector<std::int64_t> shape_of(const py::array& a) { return {a.shape(), a.shape() + a.ndim()}; }

std::string dtype_str(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

bool c_contiguous(const py::array& a) { return (a.flags() & py::array::c_style) != 0; }

// float32 or float64, 2-D, C-contiguous: else a Python exception that says what to pass.
Array float_matrix(const py::array& a, const std::string& what, const char* name) {
  if (a.ndim() != 2)
    throw py::value_error(
        fmt::format("{}: {} must be a 2-D matrix (N×D), got shape {}", what, name, shape_string(shape_of(a))));
  const bool f32 = a.dtype().is(py::dtype::of<float>()), f64 = a.dtype().is(py::dtype::of<double>());
  if (!f32 && !f64)
    throw py::type_error(fmt::format("{}: {} must be float32 or float64, got {}; convert with .astype(np.float32)",
                                     what, name, dtype_str(a)));
  if (!c_contiguous(a))
    throw py::value_error(
        fmt::format("{}: {} must be C-contiguous (row-major); pass np.ascontiguousarray({})", what, name, name));
  // No owner: the numpy array outlives the call that reads this view (the binding holds it).
  const Array view = Array::view(f32 ? DType::F32 : DType::F64, shape_of(a), static_cast<const std::byte*>(a.data()),
                                 std::shared_ptr<const void>());
  return view.to(DType::F32);  // a no-op for float32
}

}  // namespace

Array features_array(const py::array& features, const std::string& what) {
  return float_matrix(features, what, "features");
}

Array probabilities_array(const py::array& probs, const std::string& what) {
  return float_matrix(probs, what, "source_probs");
}

Targets targets_from_labels(const py::array& labels, const std::string& task, const std::string& what) {
  const TaskChoice choice = parse_task_choice(task);
  const char kind = labels.dtype().kind();  // 'i', 'u', 'f', 'b', …
  if (kind != 'i' && kind != 'u' && kind != 'f')
    throw py::type_error(
        fmt::format("{}: labels must be integer class ids or float targets, got dtype {}", what, dtype_str(labels)));
  // A C-contiguous array of a dtype taskscout reads (a copy only when the given one is not).
  py::array a;
  DType dtype;
  if (labels.dtype().is(py::dtype::of<std::int64_t>()) ||
      (kind != 'f' && !labels.dtype().is(py::dtype::of<std::int32_t>()))) {
    a = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(labels);
    dtype = DType::I64;
  } else if (labels.dtype().is(py::dtype::of<std::int32_t>())) {
    a = py::array_t<std::int32_t, py::array::c_style | py::array::forcecast>::ensure(labels);
    dtype = DType::I32;
  } else if (labels.dtype().is(py::dtype::of<float>())) {
    a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(labels);
    dtype = DType::F32;
  } else {
    a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(labels);
    dtype = DType::F64;
  }
  if (!a) throw py::error_already_set();
  // Labels are small: an owned copy, so the Targets never point into Python memory.
  const Array view = Array::view(dtype, shape_of(a), static_cast<const std::byte*>(a.data()), {});
  Array owned(dtype, view.shape());
  std::copy(view.bytes(), view.bytes() + view.nbytes(), owned.mutable_bytes());
  return targets_from_array(owned, choice, what);
}

}  // namespace taskscout::python
