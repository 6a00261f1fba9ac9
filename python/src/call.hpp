#pragma once
// How the module runs a long library call: without the GIL, with a Progress whose every
// callback takes the GIL back to check for Ctrl-C (PyErr_CheckSignals) and to call the
// user's progress function, if any. A pending signal or an exception raised by that function
// stops the call with taskscout::Cancelled; the call cleans up, and the Python exception
// (KeyboardInterrupt, or the function's own) is raised from the binding.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "taskscout/core/error.hpp"
#include "taskscout/core/progress.hpp"

namespace taskscout::python {

namespace py = pybind11;

class CallContext {
 public:
  // `progress`: None or False (no display), True (the CLI's bars on stderr), or a callable
  // progress(phase: str, done: int, total: int, detail: str) that may raise to stop the call.
  explicit CallContext(py::object progress);
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  // Callbacks for the library; valid while this context lives.
  const Progress& progress() const { return progress_; }

  // Runs f() with the GIL released; a Cancelled caused by Python becomes that Python error.
  template <class F>
  auto run(F&& f) -> decltype(f()) {
    try {
      py::gil_scoped_release release;
      return f();
    } catch (const Cancelled&) {
      if (error_) {
        error_->restore();
        error_.reset();
        throw py::error_already_set();
      }
      throw;
    }
  }

  // A callback's check: signals and the user's function, with the GIL held.
  void poll(const std::string& detail);

 private:
  void stop_with_python_error();  // keeps the pending Python error, throws Cancelled

  py::object callback_;  // the user's function, or None
  bool bars_ = false;
  std::optional<ProgressBar> bar_;
  std::string phase_;
  std::int64_t total_ = 0, done_ = 0, shown_ = 0;
  std::optional<py::error_already_set> error_;
  Progress progress_;
};

}  // namespace taskscout::python
