#pragma once
// The fine-tuned model a registered source stores, loaded back from its blobs:
// the full model, the LoRA, or the adapter with its head (registration.hpp
// writes each model file as a blob whose metadata carries the folder's small
// files). The baselines that need the source's own model (LogME and kNN on its
// embeddings of the target) start here.
#include <filesystem>
#include <map>
#include <string>

#include "taskscout/registry/source.hpp"
#include "taskscout/train/task_model.hpp"

namespace taskscout {

// True when `blobs` holds a model: full_model, lora, or adapter and head.
bool has_stored_model(const ArtifactFiles& blobs);

// Rebuilds the model's folder in a temporary folder and loads it; LoRA and
// adapter models sit on `base`. InputError naming `what` (the source) when it
// stores no model, or a blob misses the folder metadata (it was not written by
// register --method).
TaskModel load_stored_model(const ArtifactFiles& blobs, const std::filesystem::path& base, const std::string& what);

// Rebuilds the model's folder in `folder` (an existing, empty folder) without loading it:
// the folder files from the blobs' metadata, and each tensor file as a symbolic link to its
// blob (no copy), for readers that stream the tensors (merging). The errors of
// load_stored_model's rebuilding.
void restore_stored_model(const ArtifactFiles& blobs, const std::filesystem::path& folder, const std::string& what);

}  // namespace taskscout
