#pragma once
// What every transferability estimator reads: target features, target labels and,
// for LEEP/NCE, a source model's predicted class probabilities on the same examples.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "taskscout/core/array.hpp"

namespace taskscout {

enum class TaskKind { Classification, Regression };

struct Targets {
  TaskKind kind = TaskKind::Classification;
  // Classification: one dense class id in [0, num_classes) per example.
  std::vector<std::int64_t> classes;
  std::int64_t num_classes = 0;
  // Regression: F64, N×T (T target columns).
  Array values;

  std::int64_t size() const {
    return kind == TaskKind::Classification ? static_cast<std::int64_t>(classes.size()) : values.rows();
  }
  std::int64_t num_outputs() const { return kind == TaskKind::Classification ? num_classes : values.cols(); }

  // Class ids from arbitrary integer labels: the distinct values, in increasing order,
  // become 0, 1, … (so labels {3, 7} are classes 0 and 1).
  static Targets from_class_labels(const std::vector<std::int64_t>& labels);
  // Regression targets from an N or N×T float array.
  static Targets from_values(const Array& values);
};

struct EstimationInput {
  Array features;                     // F32, N×D
  Targets targets;                    // N examples
  std::optional<Array> source_probs;  // F32, N×Z; only LEEP and NCE read it
};

// Checks what every estimator relies on and throws InputError naming `what` (for
// example the file names) and the fix: features 2-D and finite, row counts equal, at
// least two examples, classification with at least two classes, source probabilities
// finite, non-negative and summing to 1 per row (tolerance 1e-3).
void validate(const EstimationInput& input, const std::string& what = "input");

}  // namespace taskscout
