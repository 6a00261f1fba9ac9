#pragma once
// Fingerprints that say whether two things are the same without comparing them whole.
#include <filesystem>
#include <string>

#include "taskscout/io/dataset.hpp"

namespace taskscout {

// The base model of a Hugging Face folder: SHA-256 over a manifest listing, in a fixed
// order, config.json and each weight file (model.safetensors, or the index and the shards
// its weight_map names) by file name, size and SHA-256 of the bytes. Stable across copies
// of the folder (paths, timestamps and unrelated files do not enter). Throws InputError
// naming the folder when it has no config.json or no safetensors weights.
std::string base_model_fingerprint(const std::filesystem::path& folder);

// A dataset as loaded (texts, text pairs, per-row labels, task kind): the same rows give
// the same fingerprint whether they came from CSV, TSV or JSONL.
std::string dataset_fingerprint(const Dataset& dataset);

}  // namespace taskscout
