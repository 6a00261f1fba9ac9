// A target's labels, however given (see targets.hpp).
#include "taskscout/select/targets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "taskscout/core/error.hpp"
#include "taskscout/io/array_file.hpp"

namespace taskscout {

TaskChoice parse_task_choice(std::string_view name) {
  if (name == "auto") return TaskChoice::Auto;
  if (name == "classification") return TaskChoice::Classification;
  if (name == "regression") return TaskChoice::Regression;
  throw UsageError(fmt::format("unknown task '{}'; choose auto, classification or regression", name));
}

Targets targets_from_array(const Array& labels, TaskChoice task, const std::string& what) {
  const bool integer = labels.dtype() == DType::I64 || labels.dtype() == DType::I32;
  if (task == TaskChoice::Regression || (task == TaskChoice::Auto && !integer)) {
    if (labels.ndim() < 1 || labels.ndim() > 2)
      throw InputError(location(what) + "regression targets must be N or N×T, got " + shape_string(labels.shape()));
    return Targets::from_values(labels);
  }
  if (labels.ndim() != 1 && !(labels.ndim() == 2 && labels.cols() == 1))
    throw InputError(location(what) + "class labels must be one id per example (shape [N]), got " +
                     shape_string(labels.shape()));
  const Array ids = labels.to(DType::F64);
  std::vector<std::int64_t> classes;
  classes.reserve(static_cast<std::size_t>(ids.numel()));
  std::int64_t row = 0;
  for (double v : ids.values<double>()) {
    if (!std::isfinite(v) || v != std::floor(v))
      throw InputError(fmt::format(
          "{}label at row {} is {}, not a class id; give integer class ids, or treat the labels as regression targets",
          location(what), row, v));
    classes.push_back(static_cast<std::int64_t>(v));
    ++row;
  }
  return Targets::from_class_labels(classes);
}

Targets dataset_targets(const Dataset& d) {
  if (d.kind == LabelKind::Classification) return Targets::from_class_labels(d.label_ids);
  Array values(DType::F64, {static_cast<std::int64_t>(d.values.size())});
  std::copy(d.values.begin(), d.values.end(), values.mutable_values<double>().begin());
  return Targets::from_values(values);
}

namespace {

bool is_table(const std::string& spec) {
  for (const char* ext : {".csv", ".tsv", ".jsonl", ".ndjson"})
    if (spec.ends_with(ext)) return true;
  return false;
}

}  // namespace

Targets load_targets(const std::string& spec, const std::string& column, TaskChoice task) {
  if (!is_table(spec)) return targets_from_array(load_array(spec), task, spec);
  DatasetOptions options;
  options.text_column = "";
  options.label_column = column;
  options.kind = task == TaskChoice::Regression ? LabelKind::Regression : LabelKind::Classification;
  return dataset_targets(load_dataset(spec, options));
}

}  // namespace taskscout
