#include "taskscout/registry/source.hpp"

namespace taskscout {

const Artifact* SourceRecord::artifact(std::string_view kind) const {
  auto it = artifacts.find(std::string(kind));
  return it == artifacts.end() ? nullptr : &it->second;
}

std::string task_kind_name(const std::optional<LabelKind>& task) {
  if (!task) return "";
  return *task == LabelKind::Classification ? "classification" : "regression";
}

}  // namespace taskscout
