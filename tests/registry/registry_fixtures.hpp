#pragma once
// Small artifacts and sources for the registry tests.
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "taskscout/core/array.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/registry/registry.hpp"

namespace taskscout::testing {

// A safetensors file with one F32 tensor "mean" of `n` values seed, seed+1, …
inline std::filesystem::path write_artifact(const std::filesystem::path& path, float seed, std::int64_t n = 8) {
  Array a(DType::F32, {n});
  auto v = a.mutable_values<float>();
  for (std::int64_t i = 0; i < n; ++i) v[i] = seed + static_cast<float>(i);
  write_safetensors(path, {{"mean", a}});
  return path;
}

// An ESM file as the esm module writes it (weight [d, d], bias [d], F32).
inline std::filesystem::path write_esm(const std::filesystem::path& path, std::int64_t d, float scale = 1,
                                       const std::string& base_fingerprint = "") {
  Array w(DType::F32, {d, d}), b(DType::F32, {d});
  auto wv = w.mutable_values<float>();
  for (std::int64_t i = 0; i < d; ++i) wv[i * d + i] = scale;
  b.mutable_values<float>()[0] = 0.5f;
  write_safetensors(path, {{"weight", w}, {"bias", b}},
                    {{"format", "taskscout-esm"}, {"version", "1"}, {"base_fingerprint", base_fingerprint}});
  return path;
}

inline NewSource make_source(const std::string& name, const std::filesystem::path& esm,
                             const std::filesystem::path& mean = {}) {
  NewSource s;
  s.record.name = name;
  s.record.base_fingerprint = sha256_hex("base model");
  s.record.task = LabelKind::Classification;
  s.record.label_names = {"negative", "positive"};
  s.record.dataset_fingerprint = sha256_hex("dataset " + name);
  s.record.dataset_size = 123;
  s.record.dev_metrics = {{"accuracy", 0.875}};
  s.record.provenance = {{"command", "test"}};
  s.artifact_files["esm"] = esm;
  if (!mean.empty()) s.artifact_files["mean_embedding"] = mean;
  return s;
}

// Runs SQL on a registry's index behind its back (to damage it, or to read pragmas);
// returns the result cells, each followed by '|', or "error: …".
inline std::string sql(const std::filesystem::path& registry, const std::string& statement) {
  sqlite3* db = nullptr;
  sqlite3_open((registry / "registry.sqlite").c_str(), &db);
  std::string out;
  char* error = nullptr;
  sqlite3_exec(
      db, statement.c_str(),
      [](void* o, int n, char** values, char**) {
        for (int i = 0; i < n; ++i)
          *static_cast<std::string*>(o) += (values[i] ? values[i] : "NULL") + std::string("|");
        return 0;
      },
      &out, &error);
  if (error) {
    out = std::string("error: ") + error;
    sqlite3_free(error);
  }
  sqlite3_close(db);
  return out;
}

}  // namespace taskscout::testing
