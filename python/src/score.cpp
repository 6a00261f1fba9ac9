// taskscout._core.score: estimators on numpy arrays, as `taskscout score` runs them (the
// same input checks, the same "all" rule for methods the input cannot feed).
#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"
#include "call.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/core/threads.hpp"
#include "taskscout/core/timer.hpp"
#include "taskscout/estimate/estimators.hpp"

namespace taskscout::python {
namespace {

struct Scored {
  std::vector<std::tuple<std::string, double, double>> scores;  // method, score, seconds
  std::vector<std::string> skipped;                             // "method: why"
};

// methods: names, or {"all"}: every method the input can feed; one that refuses this input
// (InputError) is skipped with its reason, as `score --method all` does.
Scored score(const py::array& features, const py::array& labels, const std::vector<std::string>& methods,
             const std::optional<py::array>& source_probs, const std::string& task, int knn_k, int folds,
             std::uint64_t seed, int threads, py::object progress) {
  const std::string what = "features with labels";
  EstimationInput in;
  in.features = features_array(features, what);
  in.targets = targets_from_labels(labels, task, what);
  if (source_probs) in.source_probs = probabilities_array(*source_probs, what);
  const bool all = methods.size() == 1 && methods[0] == "all";
  const bool regression = in.targets.kind == TaskKind::Regression;
  Scored out;
  std::vector<const EstimatorInfo*> chosen;
  if (all) {
    for (const auto& e : estimators()) {
      if (e.needs_source_probs && !in.source_probs)
        out.skipped.push_back(e.name + ": needs source_probs");
      else if (regression && !e.supports_regression)
        out.skipped.push_back(e.name + ": classification only");
      else
        chosen.push_back(&e);
    }
  } else {
    for (const auto& name : methods) {
      const EstimatorInfo& e = find_estimator(name);
      if (e.needs_source_probs && !in.source_probs)
        throw UsageError(e.name + " needs the source model's predicted probabilities: pass source_probs");
      if (regression && !e.supports_regression)
        throw UsageError(e.name + " is defined for classification only; the labels are regression targets");
      chosen.push_back(&e);
    }
  }
  EstimatorOptions eo;
  eo.knn_k = knn_k;
  eo.probe_folds = folds;
  eo.seed = seed;
  CallContext call(std::move(progress));
  call.run([&] {
    set_thread_count(threads);
    validate(in, what);
    ProgressPhase phase(call.progress(), "scoring", static_cast<std::int64_t>(chosen.size()));
    std::int64_t done = 0;
    for (const EstimatorInfo* e : chosen) {
      Stopwatch watch;
      try {
        const double s = e->fn(in, eo);
        out.scores.emplace_back(e->name, s, watch.seconds());
      } catch (const InputError& error) {
        if (!all) throw;
        std::string why = error.what();
        if (why.starts_with(e->name + ": ")) why.erase(0, e->name.size() + 2);
        out.skipped.push_back(e->name + ": " + why);
      }
      phase.advance(++done, e->name);
    }
  });
  if (out.scores.empty())
    throw InputError(what + ": no method could run on this input (skipped: " +
                     fmt::format("{}", fmt::join(out.skipped, "; ")) + ")");
  return out;
}

}  // namespace

void bind_score(py::module_& m) {
  py::class_<Scored>(m, "Scored").def_readonly("scores", &Scored::scores).def_readonly("skipped", &Scored::skipped);
  m.def("score", &score, py::arg("features"), py::arg("labels"), py::arg("methods"), py::arg("source_probs"),
        py::arg("task"), py::arg("knn_k"), py::arg("folds"), py::arg("seed"), py::arg("threads"), py::arg("progress"));
  py::list names;
  for (const auto& e : estimators()) names.append(e.name);
  m.attr("estimator_names") = names;
}

}  // namespace taskscout::python
