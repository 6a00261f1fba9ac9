#include "taskscout/io/model_fingerprint.hpp"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "taskscout/io/shard_index.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

// The weight files the encoder loader reads (model/checkpoint.hpp), in a fixed order.
std::vector<std::string> weight_files(const fs::path& folder) {
  std::error_code ec;
  if (fs::is_regular_file(folder / "model.safetensors", ec)) return {"model.safetensors"};
  const fs::path index = folder / "model.safetensors.index.json";
  if (!fs::is_regular_file(index, ec))
    throw InputError(location(folder.string()) +
                     "no model.safetensors or model.safetensors.index.json: the base model's weights are needed to "
                     "fingerprint it (convert pytorch_model.bin to safetensors)");
  std::set<std::string> shards;
  for (const auto& [name, file] : read_shard_index(index)) shards.insert(file);
  std::vector<std::string> out{"model.safetensors.index.json"};
  out.insert(out.end(), shards.begin(), shards.end());
  return out;
}

}  // namespace

std::string base_model_fingerprint(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_regular_file(folder / "config.json", ec))
    throw InputError(location(folder.string()) + "not a Hugging Face model folder: it has no config.json");
  std::vector<std::string> files{"config.json"};
  for (auto& f : weight_files(folder)) files.push_back(std::move(f));
  // The manifest: one line per file, "name size sha256".
  std::string manifest = "taskscout-base-fingerprint-v1\n";
  for (const auto& name : files) {
    const fs::path p = folder / name;
    const auto size = fs::file_size(p, ec);
    if (ec) throw InputError(location(p.string()) + "a weight file the model folder lists is missing: " + ec.message());
    manifest += fmt::format("{} {} {}\n", name, size, sha256_file_hex(p));
  }
  return sha256_hex(manifest);
}

std::string cached_base_model_fingerprint(const fs::path& folder) {
  // The key: the canonical folder, then each file the fingerprint reads with its size and
  // modification time, so a file replaced in place is hashed again.
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(folder, ec);
  std::string key = (ec ? folder : canonical).string();
  std::vector<std::string> files{"config.json"};
  try {
    for (auto& f : weight_files(folder)) files.push_back(std::move(f));
  } catch (const Error&) {
    return base_model_fingerprint(folder);  // its own error
  }
  for (const auto& name : files) {
    const fs::path p = folder / name;
    const auto size = fs::file_size(p, ec);
    const auto time = ec ? fs::file_time_type{} : fs::last_write_time(p, ec);
    if (ec) return base_model_fingerprint(folder);
    key += fmt::format("\n{} {} {}", name, size, time.time_since_epoch().count());
  }
  static std::mutex mutex;
  static std::map<std::string, std::string> cache;
  {
    const std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::string fingerprint = base_model_fingerprint(folder);
  const std::lock_guard lock(mutex);
  return cache.emplace(key, std::move(fingerprint)).first->second;
}

}  // namespace taskscout
