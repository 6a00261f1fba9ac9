#include "call.hpp"

namespace taskscout::python {

CallContext::CallContext(py::object progress) {
  if (progress.is_none() || (py::isinstance<py::bool_>(progress) && !progress.cast<bool>())) {
    callback_ = py::none();
  } else if (py::isinstance<py::bool_>(progress)) {
    bars_ = true;
    callback_ = py::none();
  } else if (PyCallable_Check(progress.ptr())) {
    callback_ = progress;
  } else {
    throw py::type_error("progress must be True, False, None or a callable (phase, done, total, detail)");
  }
  // Callbacks come one at a time (the library serializes them), from the calling thread or
  // a worker: each takes the GIL, so Python state is only touched under it.
  progress_.start = [this](const std::string& phase, std::int64_t total) {
    py::gil_scoped_acquire gil;
    phase_ = phase;
    total_ = total;
    done_ = shown_ = 0;
    if (bars_) bar_.emplace(phase, total);
    poll("");
  };
  progress_.advance = [this](std::int64_t done, const std::string& detail) {
    py::gil_scoped_acquire gil;
    done_ = done;
    if (bar_) {
      if (!detail.empty()) bar_->show(detail);
      bar_->advance(done - shown_);
      shown_ = done;
    }
    poll(detail);
  };
  progress_.finish = [this] {
    py::gil_scoped_acquire gil;
    bar_.reset();
  };
}

void CallContext::stop_with_python_error() {
  error_.emplace();  // fetches the pending error
  throw Cancelled();
}

void CallContext::poll(const std::string& detail) {
  // Signals are handled on the main thread only; elsewhere this returns 0 and the next
  // callback on the main thread sees the Ctrl-C.
  if (PyErr_CheckSignals() != 0) stop_with_python_error();
  if (callback_.is_none()) return;
  try {
    callback_(phase_, done_, total_, detail);
  } catch (py::error_already_set& e) {
    e.restore();
    stop_with_python_error();
  }
}

}  // namespace taskscout::python
