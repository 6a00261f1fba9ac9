#include "taskscout/model/checkpoint.hpp"

#include <fmt/format.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/shard_index.hpp"

namespace taskscout {

namespace fs = std::filesystem;

Checkpoint Checkpoint::open(const fs::path& folder) {
  Checkpoint c;
  const fs::path single = folder / "model.safetensors";
  const fs::path index = folder / "model.safetensors.index.json";
  if (fs::exists(single)) {
    auto file = std::make_shared<const SafetensorsFile>(single);
    c.source_ = single.string();
    for (const auto& e : file->entries()) c.where_[e.name] = file;
    return c;
  }
  if (!fs::exists(index)) {
    const bool bin = fs::exists(folder / "pytorch_model.bin") || fs::exists(folder / "pytorch_model.bin.index.json");
    throw InputError(location(folder.string()) +
                     (bin ? "only pytorch_model.bin weights; taskscout reads safetensors: convert them "
                            "(e.g. model.save_pretrained(dir, safe_serialization=True))"
                          : "no model.safetensors or model.safetensors.index.json in this folder"));
  }

  c.source_ = index.string();
  std::map<std::string, std::shared_ptr<const SafetensorsFile>> shards;
  for (const auto& [name, file] : read_shard_index(index)) {
    auto& shard = shards[file];
    if (!shard) {
      const fs::path path = folder / file;
      if (!fs::is_regular_file(path))
        throw InputError(location(c.source_) +
                         fmt::format("shard \"{}\" (holding \"{}\") is missing from the folder", file, name));
      shard = std::make_shared<const SafetensorsFile>(path);
    }
    if (!shard->contains(name))
      throw InputError(location(shard->path()) +
                       fmt::format("has no tensor \"{}\", which {} places there", name, c.source_));
    c.where_[name] = shard;
  }
  return c;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [name, file] : where_) out.push_back(name);
  return out;
}

const std::string& Checkpoint::file_of(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? source_ : it->second->path();
}

Array Checkpoint::get(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw InputError(location(source_) + fmt::format("no tensor \"{}\"", name));
  return it->second->get(name);
}

void Checkpoint::release(const std::string& name, std::size_t begin, std::size_t end) const {
  if (auto it = where_.find(name); it != where_.end()) it->second->release(name, begin, end);
}

void Checkpoint::prefetch(const std::string& name) const {
  if (auto it = where_.find(name); it != where_.end()) it->second->prefetch(name);
}

}  // namespace taskscout
