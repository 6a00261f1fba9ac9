// taskscout._core.score: estimators on numpy arrays through estimate/score.hpp's
// score_methods, the pipeline of `taskscout score`.
#include "taskscout/estimate/score.hpp"

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "call.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout::python {
namespace {

// methods: names, or {"all"} (score_methods: every method the input can feed, the others
// skipped with their reason).
Scores score(const py::array& features, const py::array& labels, const std::vector<std::string>& methods,
             const std::optional<py::array>& source_probs, const std::string& task, int knn_k, int folds,
             std::uint64_t seed, int threads, py::object progress) {
  const std::string what = "features with labels";
  EstimationInput in;
  in.features = features_array(features, what);
  in.targets = targets_from_labels(labels, task, what);
  if (source_probs) in.source_probs = probabilities_array(*source_probs, what);
  EstimatorOptions eo;
  eo.knn_k = knn_k;
  eo.probe_folds = folds;
  eo.seed = seed;
  CallContext call(std::move(progress));
  return call.run([&] {
    set_thread_count(threads);
    return score_methods(in, methods, eo, what, call.progress());
  });
}

}  // namespace

void bind_score(py::module_& m) {
  py::class_<MethodScore>(m, "MethodScore")
      .def_readonly("method", &MethodScore::method)
      .def_readonly("score", &MethodScore::score)
      .def_readonly("seconds", &MethodScore::seconds);
  py::class_<Scores>(m, "Scores").def_readonly("scores", &Scores::scores).def_readonly("skipped", &Scores::skipped);
  m.def("score", &score, py::arg("features"), py::arg("labels"), py::arg("methods"), py::arg("source_probs"),
        py::arg("task"), py::arg("knn_k"), py::arg("folds"), py::arg("seed"), py::arg("threads"), py::arg("progress"));
  py::list names;
  for (const auto& e : estimators()) names.append(e.name);
  m.attr("estimator_names") = names;
}

}  // namespace taskscout::python
