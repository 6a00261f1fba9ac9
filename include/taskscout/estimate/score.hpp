#pragma once
// Scoring one (features, labels) pair by several estimators: the pipeline behind
// `taskscout score` and Python's taskscout.score, so both give the same numbers.
#include <string>
#include <vector>

#include "taskscout/core/progress.hpp"
#include "taskscout/estimate/estimators.hpp"
#include "taskscout/estimate/problem.hpp"

namespace taskscout {

struct MethodScore {
  std::string method;
  double score = 0;
  double seconds = 0;
};

struct Scores {
  std::vector<MethodScore> scores;  // in the order of estimators() (all) or as asked
  // Methods left out of "all", each "name: reason" (no source probabilities, classification
  // only, or it cannot run on this input: linear_probe on a class with one example).
  std::vector<std::string> skipped;
};

// `methods`: estimator names, or {"all"}. A method asked for by name that cannot run is an
// error (UsageError without the source probabilities it needs or for regression targets it
// does not support; the estimator's InputError otherwise). "all" skips such methods and
// fails only when none can run. `input` is validated first; `what` names it in messages.
// Progress: one phase, "scoring", a unit per method, the method's name as the detail.
Scores score_methods(const EstimationInput& input, const std::vector<std::string>& methods,
                     const EstimatorOptions& options, const std::string& what, const Progress& progress = {});

}  // namespace taskscout
