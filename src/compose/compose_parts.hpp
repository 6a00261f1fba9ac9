#pragma once
// What compose_adapters (compose.cpp) and compose_loras (compose_lora.cpp) share.
#include <set>
#include <string>
#include <vector>

#include "taskscout/compose/compose.hpp"

namespace taskscout::compose_parts {

// UsageError for no names or a duplicate.
void check_distinct(const std::vector<std::string>& names);

// The sources checked as composable together: distinct names, each an adapter or a LoRA,
// all of the first one's kind (InputError naming the first that is not).
void check_sources(const std::vector<ComposeSource>& sources);

// A name for the source inside the composed model: letters, digits, '_' and '-', unique among `taken`.
std::string composed_name(const std::string& source, std::set<std::string>& taken);

// The composed model's start: method compose on the frozen base, a flex head.
TaskModel start_composed_model(const Encoder& base, const std::filesystem::path& base_folder, const Dataset& train);

// Adds `init` (the composition's fresh tensors) and a fresh flex head to `m` as trained
// tensors, and returns all that AdamW updates.
ParameterMap add_trained(TaskModel& m, const ParameterMap& init, const Dataset& train, std::uint64_t seed);

}  // namespace taskscout::compose_parts
