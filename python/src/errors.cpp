// taskscout's exceptions as Python exceptions with the same messages: the hierarchy is
// taskscout.errors (Python); Cancelled becomes KeyboardInterrupt (Ctrl-C stops a call) and a
// broken invariant (InternalError) RuntimeError, naming it a bug to report.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "taskscout/core/error.hpp"

namespace taskscout::python {

void bind_errors(py::module_& m) {
  // Held for the life of the interpreter (never released: translators may run at exit).
  static py::handle errors = py::module_::import("taskscout.errors").release();
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    auto raise = [](const char* name, const std::exception& e) { PyErr_SetString(errors.attr(name).ptr(), e.what()); };
    try {
      std::rethrow_exception(p);
    } catch (const Cancelled&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    } catch (const UsageError& e) {
      raise("UsageError", e);
    } catch (const InputError& e) {
      raise("InputError", e);
    } catch (const IoError& e) {
      raise("IoError", e);
    } catch (const Error& e) {
      raise("Error", e);
    } catch (const InternalError& e) {
      PyErr_SetString(PyExc_RuntimeError, (std::string("internal error (a taskscout bug): ") + e.what()).c_str());
    }
  });
}

}  // namespace taskscout::python
