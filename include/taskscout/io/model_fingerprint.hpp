#pragma once
// The fingerprint of a Hugging Face model folder's weights, which says whether two folders
// hold the same base model without comparing them whole. It lives in io (below model, train
// and registry) so that a fine-tuned LoRA or adapter folder can record the base it was
// trained on (train/task_model.hpp) and the registry can key sources by it.
#include <filesystem>
#include <string>

namespace taskscout {

// SHA-256 over a manifest listing, in a fixed order, config.json and each weight file
// (model.safetensors, or the index and the shards its weight_map names) by file name, size
// and SHA-256 of the bytes. Stable across copies of the folder (paths, timestamps and
// unrelated files do not enter). Throws InputError naming the folder when it has no
// config.json or no safetensors weights.
std::string base_model_fingerprint(const std::filesystem::path& folder);

// base_model_fingerprint, remembered for the life of the process by the folder's canonical
// path and the size and modification time of the files it hashes: loading many LoRA or
// adapter models on one base hashes the base once.
std::string cached_base_model_fingerprint(const std::filesystem::path& folder);

}  // namespace taskscout
