#pragma once
// Validation of an Embedding Space Map file before it enters the registry. The format is
// shared with the esm module: a safetensors file with tensors `weight` [D, D] and `bias`
// [D], each F32, F16 or BF16, and metadata {"format": "taskscout-esm", "version": "1",
// "base_fingerprint": "<sha256 hex or empty>"}.
#include <cstdint>
#include <filesystem>
#include <string>

namespace taskscout {

struct EsmFileInfo {
  std::int64_t dim = 0;
  std::string base_fingerprint;  // empty when the file does not say
};

// Throws InputError naming the file and what is wrong: not safetensors, wrong format or
// version, missing tensors, wrong shapes or dtypes, non-finite values, or a
// base_fingerprint that differs from `expected_base` (when both are non-empty).
EsmFileInfo check_esm_file(const std::filesystem::path& path, const std::string& expected_base = "");

}  // namespace taskscout
