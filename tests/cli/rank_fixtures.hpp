#pragma once
// What the rank tests build their pools from: diagonal ESM files and the small BERT
// checkpoint with a vocabulary that knows their words.
#include <filesystem>
#include <string>
#include <vector>

#include "taskscout/core/array.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

namespace taskscout::testing {

// An ESM file: W = diag(scales), b = 0.
inline void write_esm(const std::filesystem::path& path, const std::vector<float>& scales,
                      const std::string& base = "") {
  const auto d = static_cast<std::int64_t>(scales.size());
  Array w(DType::F32, {d, d}), b(DType::F32, {d});
  for (std::int64_t i = 0; i < d; ++i) w.mutable_values<float>()[i * d + i] = scales[i];
  write_safetensors(path, {{"weight", w}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}, {"base_fingerprint", base}});
}

// The committed small BERT checkpoint with a WordPiece vocabulary (as test_embed.cpp does).
inline std::filesystem::path bert_folder(const TempDir& dir) {
  const auto folder = dir / "bert";
  std::filesystem::create_directories(folder);
  for (const char* f : {"config.json", "model.safetensors"})
    std::filesystem::copy_file(fixtures_dir() / "model" / "bert" / f, folder / f);
  std::string v = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  int n = 5;
  for (char c = 'a'; c <= 'z'; ++c, ++n) v += std::string(1, c) + "\n";
  for (char c = 'a'; c <= 'z'; ++c, ++n) v += "##" + std::string(1, c) + "\n";
  for (const char* w : {"the", "movie", "good", "bad", "is", "was", "not", "very", "a", "film", "happy", "sad"}) {
    v += std::string(w) + "\n";
    ++n;
  }
  for (; n < 120; ++n) v += "[unused" + std::to_string(n) + "]\n";
  write_text(folder / "vocab.txt", v);
  return folder;
}

}  // namespace taskscout::testing
