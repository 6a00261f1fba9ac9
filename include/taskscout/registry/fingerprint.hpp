#pragma once
// Fingerprints that say whether two things are the same without comparing them whole.
#include <filesystem>
#include <string>

#include "taskscout/io/dataset.hpp"
#include "taskscout/io/model_fingerprint.hpp"

namespace taskscout {

// base_model_fingerprint(folder), the base model of a Hugging Face folder, is declared in
// io/model_fingerprint.hpp (included here), so train can record it without the registry.

// A dataset as loaded (texts, text pairs, per-row labels, task kind): the same rows give
// the same fingerprint whether they came from CSV, TSV or JSONL.
std::string dataset_fingerprint(const Dataset& dataset);

}  // namespace taskscout
