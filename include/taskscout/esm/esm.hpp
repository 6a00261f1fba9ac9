#pragma once
// Embedding Space Maps (Schulte et al., "Less is More: Parameter-Efficient Selection of
// Intermediate Tasks for Transfer Learning"): a linear map ESM(x) = W·x + b from the base
// model's embedding space to the embedding space of the model fine-tuned on one source
// task. Applied to the target's base embeddings it stands in for the fine-tuned model.
//
// File format (agreed with the registry): safetensors holding
//   weight  F32 [D, D]   (row i gives output coordinate i: ESM(X) = X·Wᵀ + b)
//   bias    F32 [D]
// F16 or BF16 tensors are accepted too (half the bytes to store and to read when ranking a
// large pool; `taskscout esm convert` writes them); they are decoded to F32 on loading.
//   __metadata__ {"format": "taskscout-esm", "version": "1", "base_fingerprint": "…",
//                 fit statistics such as "r2_heldout", "lambda", "train_rows", …}
// Reading and writing need no libtorch (the fuzz build tests load_esm alone); applying a
// map does (esm/apply_esm.hpp).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "taskscout/core/array.hpp"

namespace taskscout {

inline constexpr const char* kEsmFormat = "taskscout-esm";
inline constexpr const char* kEsmVersion = "1";
// What a base fingerprint is and where to get one, for messages refusing a malformed one.
inline constexpr const char* kBaseFingerprintHelp =
    "a base fingerprint is the SHA-256 of the base model folder, as `taskscout register --json` and `taskscout "
    "registry show` print it (base_fingerprint); leave it out when unknown";

struct Esm {
  Array weight;  // F32 D×D
  Array bias;    // F32 D
  // "format" and "version" are filled in on saving; "base_fingerprint" identifies the
  // base model whose embeddings the map reads (empty when unknown).
  std::map<std::string, std::string> metadata;

  std::int64_t dim() const { return bias.numel(); }
  std::string base_fingerprint() const;
};

// Checks what every user of an ESM relies on and throws InputError starting with `what`
// (a file or source name): weight F32/F64/F16/BF16 D×D and bias D with the same D ≥ 1,
// every value finite, and, when the metadata has a "format", that it is taskscout-esm version 1.
void validate_esm(const Esm& esm, const std::string& what);

// Reads and validates an ESM file. F32 and F64 tensors stay memory-mapped; F16 and BF16 ones
// are decoded to F32 (exactly) before the finiteness check. Throws IoError
// when it cannot be read, InputError naming the file for a missing tensor, a wrong format
// tag or version, wrong shapes or non-finite values.
Esm load_esm(const std::filesystem::path& path);

// Writes the ESM atomically as `dtype` (F32, F16 or BF16; rounded to nearest even), with
// the format tag and version added to its metadata. Throws InputError for a
// "base_fingerprint" that is neither empty nor 64 lowercase hex digits (`register` would
// refuse the file) and for a value that overflows the half format; UsageError for another
// dtype.
void save_esm(const std::filesystem::path& path, const Esm& esm, DType dtype = DType::F32);

}  // namespace taskscout
