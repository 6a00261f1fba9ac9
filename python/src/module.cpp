// taskscout._core: the extension behind the taskscout package (python/taskscout wraps it).
#include <pybind11/pybind11.h>

#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "taskscout's C++ library (use the taskscout package, which wraps this module)";
  taskscout::python::bind_errors(m);
  taskscout::python::bind_score(m);
  taskscout::python::bind_registry(m);
  taskscout::python::bind_rank(m);
}
