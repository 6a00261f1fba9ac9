#pragma once
// A target's labels, however they are given: one loader for `score`, `rank` and the Python
// module, so that the same labels mean the same task everywhere.
#include <string>
#include <string_view>

#include "taskscout/core/array.hpp"
#include "taskscout/estimate/problem.hpp"
#include "taskscout/io/dataset.hpp"

namespace taskscout {

// Auto: integer labels are classes, floating-point labels regression targets.
enum class TaskChoice { Auto, Classification, Regression };
// "auto", "classification" or "regression"; UsageError otherwise.
TaskChoice parse_task_choice(std::string_view name);

// Labels from an array: N class ids, or N (or N×T) regression targets. Classes given as
// floating point must be whole numbers: InputError naming `what` and the row otherwise,
// never a silent truncation of 1.7 to class 1.
Targets targets_from_array(const Array& labels, TaskChoice task, const std::string& what);

// The labels of a loaded dataset: its class ids or its values.
Targets dataset_targets(const Dataset& data);

// `spec` is an array file (.npy, .npz…: see io/array_file.hpp) or a table (.csv, .tsv,
// .jsonl, .ndjson) whose `column` holds the labels (class names ordered as io/dataset.hpp
// documents; Auto reads a table as classification).
Targets load_targets(const std::string& spec, const std::string& column, TaskChoice task);

}  // namespace taskscout
