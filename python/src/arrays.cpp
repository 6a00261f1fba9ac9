#include "arrays.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "taskscout/core/error.hpp"

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
  if (task != "auto" && task != "classification" && task != "regression")
    throw UsageError("task must be \"auto\", \"classification\" or \"regression\", got \"" + task + "\"");
  const char kind = labels.dtype().kind();  // 'i', 'u', 'f', 'b', …
  if (kind != 'i' && kind != 'u' && kind != 'f')
    throw py::type_error(
        fmt::format("{}: labels must be integer class ids or float targets, got dtype {}", what, dtype_str(labels)));
  if (labels.ndim() < 1 || labels.ndim() > 2)
    throw py::value_error(fmt::format("{}: labels must have shape [N] (or [N, T] for regression), got {}", what,
                                      shape_string(shape_of(labels))));
  // Labels are small (N values): one converting copy, the same for every dtype and layout.
  const auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(labels);
  if (!values) throw py::error_already_set();
  Array copy(DType::F64, shape_of(labels));
  std::copy(values.data(), values.data() + values.size(), copy.mutable_values<double>().begin());
  const bool regression = task == "regression" || (task == "auto" && kind == 'f');
  if (regression) return Targets::from_values(copy);
  if (labels.ndim() != 1)
    throw InputError(fmt::format("{}: class labels must be one id per example (shape [N]), got {}", what,
                                 shape_string(shape_of(labels))));
  std::vector<std::int64_t> classes;
  classes.reserve(static_cast<std::size_t>(values.size()));
  std::int64_t row = 0;
  for (double v : copy.values<double>()) {
    if (!std::isfinite(v) || v != std::floor(v))
      throw InputError(
          fmt::format("{}: label at row {} is {}, not a class id; pass integer class ids or use "
                      "task=\"regression\"",
                      what, row, v));
    classes.push_back(static_cast<std::int64_t>(v));
    ++row;
  }
  return Targets::from_class_labels(classes);
}

}  // namespace taskscout::python
