#pragma once
// The parts of the extension taskscout._core, each bound in its own file.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace taskscout::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_score(py::module_& m);
void bind_registry(py::module_& m);
void bind_rank(py::module_& m);

}  // namespace taskscout::python
