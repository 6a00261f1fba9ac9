// Scoring one (features, labels) pair by several estimators (see score.hpp).
#include "taskscout/estimate/score.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/core/timer.hpp"

namespace taskscout {
namespace {

// Why `e` cannot run on `in`, or "" when it can.
std::string cannot_run(const EstimatorInfo& e, const EstimationInput& in) {
  if (e.needs_source_probs && !in.source_probs)
    return "it needs the source model's predicted probabilities: pass them as " + opt("source_probs");
  if (in.targets.kind == TaskKind::Regression && !e.supports_regression)
    return "it is defined for classification only; the labels are regression targets";
  return "";
}

}  // namespace

Scores score_methods(const EstimationInput& in, const std::vector<std::string>& methods,
                     const EstimatorOptions& options, const std::string& what, const Progress& progress) {
  validate(in, what);
  const bool all = methods.size() == 1 && methods[0] == "all";
  if (methods.empty()) throw UsageError("no estimator named; name one or more, or all");
  Scores result;
  std::vector<const EstimatorInfo*> chosen;
  if (all) {
    for (const auto& e : estimators()) {
      if (const std::string why = cannot_run(e, in); !why.empty())
        result.skipped.push_back(e.name + ": " + why);
      else
        chosen.push_back(&e);
    }
  } else {
    for (const auto& name : methods) {
      const EstimatorInfo& e = find_estimator(name);
      if (const std::string why = cannot_run(e, in); !why.empty()) throw UsageError(e.name + ": " + why);
      chosen.push_back(&e);
    }
  }
  ProgressPhase phase(progress, "scoring", static_cast<std::int64_t>(chosen.size()));
  std::int64_t done = 0;
  for (const EstimatorInfo* e : chosen) {
    phase.advance(done, e->name);
    Stopwatch watch;
    try {
      const double score = e->fn(in, options);
      result.scores.push_back({e->name, score, watch.seconds()});
    } catch (const InputError& error) {
      if (!all) throw;
      std::string why = error.what();
      if (why.starts_with(e->name + ": ")) why.erase(0, e->name.size() + 2);
      result.skipped.push_back(e->name + ": " + why);
    }
    phase.advance(++done);
  }
  if (result.scores.empty())
    throw InputError(fmt::format("{}: no method could run on this input ({})", what, fmt::join(result.skipped, "; ")));
  return result;
}

}  // namespace taskscout
